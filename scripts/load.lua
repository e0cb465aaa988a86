-- A mix of what the service does all day: anonymous directory searches, signed-in school
-- views, and provider views. Cookies come from the environment (load.sh signs in first).
-- Provider register submissions join the mix when attendance lands.
local school = os.getenv("SCHOOL_COOKIE")
local provider = os.getenv("PROVIDER_COOKIE")

local searches = {
  "/providers", "/providers?tier=2", "/providers?place_type=vocational", "/providers?locality=c",
  "/providers?q=motor", "/providers?q=nurture&tier=1", "/providers?page=2",
  "/providers/steel-city-vocational-hub", "/providers/sheffield-inclusion-centre", "/",
}
local school_pages = { "/", "/pupils", "/providers?tier=2" }
local provider_pages = { "/", "/pupils", "/providers/steel-city-vocational-hub" }

local counter = 0
request = function()
  counter = counter + 1
  local r = math.random(100)
  if r <= 60 then
    return wrk.format("GET", searches[math.random(#searches)])
  elseif r <= 90 then
    return wrk.format("GET", school_pages[math.random(#school_pages)], { ["Cookie"] = school })
  else
    return wrk.format("GET", provider_pages[math.random(#provider_pages)], { ["Cookie"] = provider })
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("requests=%d duration_s=%.1f rps=%.1f\n", summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors=%d (connect %d, read %d, write %d, non-2xx/3xx %d, timeout %d)\n", errors,
    e.connect, e.read, e.write, e.status, e.timeout))
end
