-- wrk script of bench/webhooks.py: POSTs precomputed signed Twilio requests, each once, then reports.
--
--   wrk -t2 -c50 -d10s --timeout 15s -s bench/webhooks.lua http://127.0.0.1:8000 -- requests.tsv 2
--
-- requests.tsv has one request a line: path and query, X-Twilio-Signature, form body, separated by tabs.
-- Thread n of t sends lines n, n+t, n+2t... so that no two threads send the same request; a thread that
-- runs out starts its share again and counts the repeats (to Twilio, retries). done() prints one line.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(args[2])
  requests, sent, repeats, non2xx = {}, 0, 0, 0
  local n = 0
  for line in io.lines(args[1]) do
    if n % count == id then
      local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
        ["User-Agent"] = "TwilioProxy/1.1",
      }
      table.insert(requests, wrk.format("POST", path, headers, body))
    end
    n = n + 1
  end
end

function request()
  local index = sent % #requests + 1
  if sent >= #requests then
    repeats = repeats + 1
  end
  sent = sent + 1
  return requests[index]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local repeated, bad = 0, 0
  for _, thread in ipairs(threads) do
    repeated = repeated + thread:get("repeats")
    bad = bad + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    "WEBHOOKS requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d repeats=%d " ..
    "connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad, repeated,
    errors.connect, errors.read, errors.write, errors.timeout))
end
