-- wrk script for polyserve: POSTs one contract request over and over, checks every answer,
-- and prints the figures as one JSON line at the end.
--   wrk -s loadtest/wrk/contract.lua URL -- '<request body>' '<expected response body>' [delay ms]
-- An empty expected body checks the status (200) only.
-- With a delay (milliseconds, fractions allowed), each connection waits that long on average
-- between requests: a steady, lower rate.

local body, expected, pause
local threads = {}
wrong = 0 -- a global: done() reads each thread's count through thread:get

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  body, expected, pause = args[1], args[2], tonumber(args[3] or "0")
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

-- wrk waits whole milliseconds: the fraction left over is carried to the next request, so a
-- pause of 0.3 ms waits 1 ms after about every third request.
local owed = 0
function delay()
  owed = owed + pause
  local whole = math.floor(owed)
  owed = owed - whole
  return whole
end

function response(status, headers, response_body)
  if status ~= 200 or (expected ~= "" and response_body ~= expected) then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local wrong_total = 0
  for _, thread in ipairs(threads) do
    wrong_total = wrong_total + thread:get("wrong")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "wrong": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, wrong_total,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
