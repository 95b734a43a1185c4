-- wrk driver for benchmarks/reserve.py: each thread replays its share of pre-built requests
-- (one user and one seat request per line: "<bearer token>\t<json body>").
local threads = {}
local path = os.getenv("BOX_REQUESTS")
local api_key = os.getenv("BOX_API_KEY")

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("BOX_THREADS"))
  reqs, i, ok, other = {}, 0, 0, 0
  local k = 0
  for line in io.lines(path) do
    if k % n == id then
      local tab = string.find(line, "\t")
      local token, body = string.sub(line, 1, tab - 1), string.sub(line, tab + 1)
      reqs[#reqs + 1] = wrk.format("POST", "/graphql", {
        ["Content-Type"] = "application/json", ["X-API-Key"] = api_key,
        ["Authorization"] = "Bearer " .. token }, body)
    end
    k = k + 1
  end
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"Reservation"', 1, true) then ok = ok + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local held, rest = 0, 0
  for _, t in ipairs(threads) do held = held + t:get("ok"); rest = rest + t:get("other") end
  io.write(string.format("WRK %d %d %.3f %.3f %.3f %d %d\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, held, rest))
end
