-- wrk script for scripts/bench-http.sh. Environment (read by the script itself):
--   WRK_TOKEN  bearer token sent as Authorization (optional)
--   WRK_BODY   bytes of a POST body to send with every request (optional; 0 = GET)
--   WRK_OUT    file the summary is written to as one JSON line
local token = os.getenv("WRK_TOKEN")
local body_bytes = tonumber(os.getenv("WRK_BODY") or "0")
local out = os.getenv("WRK_OUT")

if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
if body_bytes > 0 then
  local parts = {}
  for i = 1, body_bytes do parts[i] = string.char(32 + (i * 7) % 90) end
  wrk.method = "POST"
  wrk.body = table.concat(parts)
  wrk.headers["Content-Type"] = "application/octet-stream"
end

done = function(summary, latency, requests)
  local e = summary.errors
  local line = string.format(
    '{"requests":%d,"duration_s":%.3f,"requests_per_s":%.1f,"non_2xx_3xx":%d,"socket_errors":%d,' ..
    '"lat_mean_ms":%.3f,"lat_p50_ms":%.3f,"lat_p90_ms":%.3f,"lat_p99_ms":%.3f,"lat_max_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write + e.timeout,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000)
  local f = assert(io.open(out, "w"))
  f:write(line)
  f:close()
end
