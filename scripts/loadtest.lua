-- wrk script for scripts/loadtest.sh: each connection walks a shuffled list of real URLs (list pages, searches,
-- case pages) written by loadtest.sh, and the run ends with one JSON line that loadtest.sh keeps.
local urls = {}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("LOAD_URLS")) do
    urls[#urls + 1] = line
  end
  position = (id * 7919) % #urls
  statuses = {}
  responses = 0
end

function request()
  position = position % #urls + 1
  return wrk.format("GET", urls[position], {["X-Forwarded-Proto"] = "https"})
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  responses = responses + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(totals) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.1f, "req_per_s": %.1f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "http_errors": %d, "p50_ms": %.1f, "p90_ms": %.1f, "p99_ms": %.1f, ' ..
    '"max_ms": %.1f, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), e.connect, e.read,
    e.write, e.timeout, e.status, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, table.concat(parts, ", ")))
end
