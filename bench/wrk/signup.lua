-- POST /signup with an urlencoded form.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "name=Ann&email=ann%40example.com&age=30&subscribe=true"
want = '{"message":"welcome Ann <ann@example.com> (subscribed)"}'
