-- POST /echo with the JSON echo request of about 4 KiB that bench/run.sh writes (ECHO_4K_BODY),
-- accepting a gzip answer.
local file = assert(io.open(assert(os.getenv("ECHO_4K_BODY"), "ECHO_4K_BODY is not set"), "rb"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Encoding"] = "gzip"
wrk.body = file:read("*a")
file:close()
