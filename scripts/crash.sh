#!/usr/bin/env bash
# The full crash test: 20 rounds of SIGKILL while writes are in flight (cargo test runs 3).
set -euo pipefail
cd "$(dirname "$0")/.."
APDIR_CRASH_ROUNDS=${1:-20} cargo test --release --test crash -- --nocapture
