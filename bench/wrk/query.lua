-- GET /users/7 with path and query binding; every answer must be exactly `want`.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
want = '{"id":"7","name":"user 7","email":"user7@example.com","tags":["rust","rust","rust"]}'
