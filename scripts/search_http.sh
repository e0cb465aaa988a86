#!/usr/bin/env bash
# Requests per second of /api/v1/providers (a mix of queries) as a ratio of /healthz on the same
# server in the same run. Release build, demo data, loopback, wrk with 2 threads, 20 connections.
set -euo pipefail
duration=${1:-20s}
cd "$(dirname "$0")/.."
port=${PORT:-18092}
. scripts/demo_server.sh
start_demo_server release "$port"
health=$(wrk -t2 -c20 -d"$duration" "http://127.0.0.1:$port/healthz" | awk '/Requests\/sec/ {print $2}')
search=$(wrk -t2 -c20 -d"$duration" -s scripts/search_http.lua "http://127.0.0.1:$port")
echo "healthz rps=$health"
line=$(echo "$search" | grep '^rps=')
echo "search  $line"
rps=$(echo "$line" | sed -n 's/^rps=\([0-9.]*\).*/\1/p')
awk -v s="$rps" -v h="$health" 'BEGIN { printf "ratio=%.2f (goal at least 0.5)\n", s / h }'
