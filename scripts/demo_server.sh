# Sourced by the scripts that drive a real server: builds apdir, serves the demo data from a
# temporary data directory on loopback, and stops and removes it on exit.
#   start_demo_server PROFILE PORT   (PROFILE is debug or release)
# Sets $data (the data directory; the server log is $data/log) and $pid.
start_demo_server() {
  local profile=$1 port=$2
  if [ "$profile" = release ]; then cargo build --release --quiet --bin apdir; else cargo build --quiet --bin apdir; fi
  data=$(mktemp -d)
  "${CARGO_TARGET_DIR:-target}/$profile/apdir" serve --demo --port "$port" --data-dir "$data" \
    --database-url "sqlite://$data/apdir.db" >"$data/log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "apdir did not become healthy on port $port; its log:" >&2
  cat "$data/log" >&2
  return 1
}
