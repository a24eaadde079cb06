-- A GraphQL query over POST /graphql: `getUser`, the GET /users/:id method; every answer must
-- be exactly `want`.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ getUser(id: \\"7\\", verbose: true, limit: 3, tag: \\"rust\\") { id name email tags } }"}'
want = '{"data":{"getUser":{"id":"7","name":"user 7","email":"user7@example.com","tags":["rust","rust","rust"]}}}'
