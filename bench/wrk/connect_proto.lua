-- A Connect unary call of bench.Bench/Echo in binary: the small EchoRequest (id 42, name
-- "bench", tags "a" and "b") as protobuf.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/proto"
wrk.headers["Connect-Protocol-Version"] = "1"
wrk.body = "\8\42\18\5bench\26\1a\26\1b"
-- The EchoReply: id "42", message "hello bench", tags "a" and "b".
want = "\8\42\18\11hello bench\26\1a\26\1b"
