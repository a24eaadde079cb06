-- POST /signup with an urlencoded form.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "name=Ann&email=ann%40example.com&age=30&subscribe=true"
