-- wrk driver for benchmarks/waiting_room.py: each thread sends its share of pre-built join
-- requests ("<bearer token>\t<json body>" per line) exactly once, then stops.
local threads = {}
local path = os.getenv("BOX_REQUESTS")
local api_key = os.getenv("BOX_API_KEY")

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("BOX_THREADS"))
  reqs, i, ok, other, answered = {}, 0, 0, 0, 0
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
  -- cycles: a request wrk builds but never sends is sent on the next lap (joins are idempotent)
  i = i % #reqs + 1
  return reqs[i]
end

function response(status, headers, body)
  answered = answered + 1
  if status == 200 and string.find(body, '"joinWaitingRoom"', 1, true) then ok = ok + 1
  else other = other + 1 end
  if answered >= #reqs + 1 then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local good, bad = 0, 0
  for _, t in ipairs(threads) do good = good + t:get("ok"); bad = bad + t:get("other") end
  io.write(string.format("WRK %d %d %.3f %.3f %.3f %d %d\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, good, bad))
end
