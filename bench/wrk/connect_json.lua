-- A Connect unary call of bench.Bench/Echo in JSON (POST /bench.Bench/Echo).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connect-Protocol-Version"] = "1"
wrk.body = '{"id":"42","name":"bench","tags":["a","b"]}'
