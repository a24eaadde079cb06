-- Shared by the scripts whose every answer must be exactly `want`: counts the answers that are
-- not (another status, an error body, a GraphQL error) and reports them when wrk is done, as
-- `Wrong answers: N` and the first one, which bench/run.sh fails on. A script whose answer is
-- not the same bytes on both servers sets `check` instead, a function of the status, headers
-- and body that says whether the answer is right.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   wrong = 0
   first = nil
end

function response(status, headers, body)
   local right
   if check then
      right = check(status, headers, body)
   else
      right = status == 200 and body == want
   end
   if not right then
      wrong = wrong + 1
      if first == nil then
         first = status .. " " .. body
      end
   end
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      local n = thread:get("wrong")
      if n > 0 then
         print("Wrong answers: " .. n .. ", the first: " .. thread:get("first"))
      end
   end
end
