-- A GraphQL mutation over POST /graphql: `echo`, the POST /echo method; every answer must be
-- exactly `want`.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"mutation { echo(id: \\"42\\", name: \\"bench\\", tags: [\\"a\\", \\"b\\"]) { id message tags } }"}'
want = '{"data":{"echo":{"id":"42","message":"hello bench","tags":["a","b"]}}}'
