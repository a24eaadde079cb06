-- POST /echo with the JSON echo request of about 4 KiB that bench/run.sh writes (ECHO_4K_BODY),
-- accepting a gzip answer.
local file = assert(io.open(assert(os.getenv("ECHO_4K_BODY"), "ECHO_4K_BODY is not set"), "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Encoding"] = "gzip"
wrk.body = file:read("*a")
file:close()
-- The answer is in gzip, whose bytes differ between the two servers: bench/run.sh checks one
-- answer whole with curl first; every answer under load must be a 200 in gzip.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answer_check.lua")
check = function(status, headers, body)
   local coding = headers["content-encoding"] or headers["Content-Encoding"]
   return status == 200 and coding == "gzip" and #body > 0
end
