-- wrk script for polyserve: POSTs one request over and over, checks every answer, and prints
-- the figures as one JSON line at the end.
--   wrk -s loadtest/wrk/contract.lua URL -- BODY_FILE ANSWER_FILE [DELAY_MS [HEADER ...]]
-- BODY_FILE holds the request body (bytes as they are: a binary tensor body holds NULs, which
-- no argument can), ANSWER_FILE the expected response body; an empty one checks the status
-- (200) only. Each HEADER is "Name: value" (default: Content-Type: application/json).
-- With a delay (milliseconds, fractions allowed), each connection waits that long on average
-- between requests: a steady, lower rate.

local body, expected, pause
local threads = {}
wrong = 0 -- a global: done() reads each thread's count through thread:get

function setup(thread)
  table.insert(threads, thread)
end

local function read_file(path)
  local file = assert(io.open(path, "rb"))
  local content = file:read("*a")
  file:close()
  return content
end

function init(args)
  body, expected, pause = read_file(args[1]), read_file(args[2]), tonumber(args[3] or "0")
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  for i = 4, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
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
