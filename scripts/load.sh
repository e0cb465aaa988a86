#!/usr/bin/env bash
# Load scenario against a release build on loopback.
#   scripts/load.sh            50 connections for 120 s (the goal: 0 errors, p99 < 300 ms)
#   scripts/load.sh 10s 20     a short smoke run (CI)
# Needs wrk (apt-get install wrk). Prints requests per second, p50/p95/p99 and errors, and
# exits non-zero if any request failed or p99 is over the goal.
set -euo pipefail
duration=${1:-120s}
connections=${2:-50}
goal_p99_ms=${GOAL_P99_MS:-300}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
profile=${PROFILE:-release}
port=${PORT:-18090}
. scripts/demo_server.sh
start_demo_server "$profile" "$port"

sign_in() {
  local jar="$data/jar-$1"
  local token
  token=$(curl -fsS -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf_token" value="[^"]*' | sed 's/.*value="//')
  curl -sS -b "$jar" -D - -o /dev/null --data-urlencode "csrf_token=$token" --data-urlencode "email=$1" \
    --data-urlencode "password=demo-password-2026" "http://127.0.0.1:$port/login" \
    | tr -d '\r' | grep -i '^set-cookie: apdir_session=' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//'
}
SCHOOL_COOKIE=$(sign_in school@demo.test)
PROVIDER_COOKIE=$(sign_in provider@demo.test)
export SCHOOL_COOKIE PROVIDER_COOKIE
[ -n "$SCHOOL_COOKIE" ] && [ -n "$PROVIDER_COOKIE" ] || { echo "could not sign in"; exit 1; }

echo "Load: $connections connections for $duration against $profile build on 127.0.0.1:$port ($(nproc) cores)"
out=$(wrk -t2 -c"$connections" -d"$duration" --timeout 5s -s scripts/load.lua "http://127.0.0.1:$port")
echo "$out" | grep -E '^(requests|p50_ms|errors)='
errors=$(echo "$out" | sed -n 's/^errors=\([0-9]*\).*/\1/p')
p99=$(echo "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
grep -c ' status=5' "$data/log" | sed 's/^/server 5xx log lines: /' || true
if [ "$errors" != "0" ]; then echo "FAIL: $errors errors"; exit 1; fi
if awk "BEGIN { exit !($p99 > $goal_p99_ms) }"; then echo "FAIL: p99 ${p99} ms is over ${goal_p99_ms} ms"; exit 1; fi
echo "OK: 0 errors, p99 ${p99} ms"
