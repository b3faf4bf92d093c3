-- wrk script for the admin API rows of scripts/bench.
--
--   wrk -t2 -c20 -d10s -s admin.lua URL -- create KEY
--       POST /api/v1/subscriptions, each request for a new requesting
--       service ("bench-<thread>-<n>"), so every one creates a record
--   wrk -t2 -c20 -d10s -s admin.lua URL -- list KEY
--       GET /api/v1/subscriptions
--
-- done() prints one JSON line: requests, seconds, requests_per_s,
-- p50/p90/p99/max latency in microseconds, socket errors, and answers
-- other than the expected status (201 / 200).

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   mode = args[1] or "list"
   key = args[2] or ""
   n = 0
   unexpected = 0
   expect = (mode == "create") and 201 or 200
end

function request()
   local headers = { ["X-API-Key"] = key }
   if mode == "create" then
      n = n + 1
      headers["Content-Type"] = "application/json"
      local body = string.format(
         '{"channel_type":"trades","symbol":"BTCUSDT",' ..
         '"requesting_service":"bench-%d-%d"}', tid, n)
      return wrk.format("POST", "/api/v1/subscriptions", headers, body)
   end
   return wrk.format("GET", "/api/v1/subscriptions", headers)
end

function response(status, headers, body)
   if status ~= expect then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, t in ipairs(threads) do
      bad = bad + (t:get("unexpected") or 0)
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      '{"requests":%d,"seconds":%.3f,"requests_per_s":%.1f,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"socket_errors":%d,"unexpected_status":%d}\n',
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max,
      e.connect + e.read + e.write + e.timeout, bad))
end
