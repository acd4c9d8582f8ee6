#!/usr/bin/env bash
# The official PacSpace Python SDK (0.7.0, unchanged) against a real local Worker
# (tests/e2e/serve.mjs: wrangler dev on a fresh local D1). Needs the Worker built
# (scripts/lib.sh build_worker) and node_modules. VERICORD_PY is a python with
# pacspace-sdk==0.7.0 and pytest; when unset, scripts/lib.sh makes one.
# Extra arguments go to pytest (e.g. -k 429 -v).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${VERICORD_PY:-}" ]; then
  source scripts/lib.sh
  ensure_python_sdk
fi
[ -f worker/build/index.js ] || { echo "error: worker/build/index.js is missing: build the Worker first (scripts/lib.sh build_worker)" >&2; exit 1; }
export PYTHONDONTWRITEBYTECODE=1
timeout --kill-after=30 "${VERICORD_SDK_TIMEOUT:-600}" "$VERICORD_PY" -m pytest -q tests/sdk "$@"
