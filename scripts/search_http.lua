-- A mix of directory API queries (text, filters, facets, distance).
local queries = {
  "/api/v1/providers", "/api/v1/providers?q=construction", "/api/v1/providers?q=contruction&tier=3",
  "/api/v1/providers?tier=2&place_type=vocational", "/api/v1/providers?near=S5%207AU&radius_km=5",
  "/api/v1/providers?near=S1&sort=distance&has_places=true", "/api/v1/providers?need=SEMH&key_stage=KS4",
  "/api/v1/providers?locality=c&tier=1&tier=2", "/api/v1/providers?q=nurture&sort=name",
  "/api/v1/providers?registration=registered_school&page=1&per_page=50",
}
request = function()
  return wrk.format("GET", queries[math.random(#queries)])
end
done = function(summary, latency, requests)
  io.write(string.format("rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
