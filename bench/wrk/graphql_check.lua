-- Shared by the GraphQL scripts: counts the answers that are not exactly `want` (a GraphQL
-- error is one) and reports them when wrk is done, as `Wrong answers: N` and the first one.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   wrong = 0
   first = nil
end

function response(status, headers, body)
   if status ~= 200 or body ~= want then
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
