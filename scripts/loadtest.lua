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
  local stride = tonumber(os.getenv("LOAD_STRIDE") or "")
  if stride and stride > 0 then
    position = (tonumber(os.getenv("LOAD_OFFSET") or "0") + id * stride) % #urls
  else
    position = (id * 7919) % #urls
  end
  statuses = {}
  responses = 0
  hits = 0
end

function request()
  position = position % #urls + 1
  return wrk.format("GET", urls[position], {["X-Forwarded-Proto"] = "https"})
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  responses = responses + 1
  if headers["X-Page-Cache"] == "hit" then
    hits = hits + 1
  end
end

function done(summary, latency, requests)
  local totals = {}
  local cache_hits = 0
  for _, thread in ipairs(threads) do
    cache_hits = cache_hits + thread:get("hits")
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
    '"max_ms": %.1f, "page_cache_hits": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), e.connect, e.read,
    e.write, e.timeout, e.status, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, cache_hits, table.concat(parts, ", ")))
end
