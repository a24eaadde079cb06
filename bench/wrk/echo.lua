-- POST /echo with the small JSON echo request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":42,"name":"bench","tags":["a","b"]}'
