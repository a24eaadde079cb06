-- A Connect unary call of bench.Bench/Echo in JSON (POST /bench.Bench/Echo).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connect-Protocol-Version"] = "1"
wrk.body = '{"id":"42","name":"bench","tags":["a","b"]}'
want = '{"id":"42","message":"hello bench","tags":["a","b"]}'
