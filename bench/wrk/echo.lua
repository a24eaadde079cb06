-- POST /echo with the small JSON echo request.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":42,"name":"bench","tags":["a","b"]}'
want = '{"id":"42","message":"hello bench","tags":["a","b"]}'
