#!/usr/bin/env bash
# Builds the npm package if anything changed, then runs the verification benchmark.
#   bench/verify/run.sh [--enforce]   (ROUNDS=, ROUND_MS= tune it; --enforce: see bench.mjs)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
scripts/build-npm >&2
timeout 600 node bench/verify/bench.mjs "$@"
