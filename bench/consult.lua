-- wrk script of the consultation benchmark (bench/consultations.py drives it).
--
-- Environment:
--   BENCH_BODIES  file of JSON bodies, one a line; each request POSTs the next (many persons,
--                 not one hot row); each thread starts at a different line
--   BENCH_TOKEN   bearer token sent with every request
--   BENCH_RATE    requests per second *per thread*; 0 or unset: as fast as the connections go
--
-- With a rate, requests leave on a fixed schedule (open loop): delay() gives each request the
-- next slot of the thread's timetable, so the rate does not drop when answers slow down as
-- long as a connection is free. A request that leaves more than 2 ms after its slot is counted
-- as late and its lag reported (late requests mean the latency figures understate the queueing
-- delay: wrk times a request from when it leaves).
--
-- done() prints one line "BENCH_RESULT {json}" for the driver.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

-- main state: the threads, to add up their counters in done()
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- thread state (globals so that the main state can read them with thread:get)
sent, late, max_lag = 0, 0, 0
local requests, count, index = {}, 0, 0

function init(_args)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    count = count + 1
    requests[count] = wrk.format("POST", nil, headers, line)
  end
  index = (id * 7919) % count
end

function request()
  index = index % count + 1
  sent = sent + 1
  return requests[index]
end

local rate = tonumber(os.getenv("BENCH_RATE") or "0")
if rate > 0 then
  local interval, start, slot = 1000 / rate, nil, 0

  function delay()
    local now = now_ms()
    start = start or now
    local wait = start + slot * interval - now
    slot = slot + 1
    if wait >= 0 then
      return math.floor(wait + 0.5)
    end
    if -wait > 2 then
      late = late + 1
    end
    max_lag = math.max(max_lag, -wait)
    return 0
  end
end

function done(summary, latency, _requests)
  local total_sent, total_late, lag = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    total_late = total_late + thread:get("late")
    lag = math.max(lag, thread:get("max_lag"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us": %.0f, "completed": %.0f, "sent": %.0f, ' ..
    '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, ' ..
    '"timeout": %.0f}, "latency_us": {"mean": %.1f, "max": %.0f, "p50": %.0f, ' ..
    '"p90": %.0f, "p99": %.0f, "p999": %.0f}, "late": %.0f, "max_lag_ms": %.3f}\n',
    summary.duration, summary.requests, total_sent, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), total_late, lag))
end
