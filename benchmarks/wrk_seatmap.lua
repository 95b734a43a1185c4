-- wrk driver for benchmarks/seatmap_cache.py: one fixed request (method, path from the URL, an
-- optional JSON body from BOX_BODY, the X-API-Key header); counts non-200 answers.
local method = os.getenv("BOX_METHOD") or "GET"
local body = os.getenv("BOX_BODY")
local api_key = os.getenv("BOX_API_KEY") or ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  local headers = { ["X-API-Key"] = api_key }
  if body and body ~= "" then headers["Content-Type"] = "application/json" end
  req = wrk.format(method, nil, headers, body ~= "" and body or nil)
end

function request()
  return req
end

function response(status, headers, resp_body)
  if status ~= 200 or string.find(resp_body, '"errors"', 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("bad") end
  io.write(string.format("WRK %d %d %.3f %.3f %.3f %d %d\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, failed, summary.bytes))
end
