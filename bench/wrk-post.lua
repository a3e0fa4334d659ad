-- wrk script of `npm run bench` (bench/load.ts): POSTs the benchmark's chat body.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
-- BENCH_HEADERS: more headers, one "name: value" a line (Portkey's routing headers: bench/portkey.ts).
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end
