#!/usr/bin/env bash
# schemathesis against a local Worker from the API description it serves (/openapi.json):
# no 5xx, and every status, content type and body as described. Builds nothing: run
# `source scripts/lib.sh && build_worker` first. Installs schemathesis (pinned) if missing.
# Takes about three minutes; OPENAPI_MAX_TIME (seconds of testing, default 150) and
# OPENAPI_MAX_EXAMPLES (per operation, default 20) bound it; OPENAPI_SEED replays a run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ROOT"

node scripts/openapi.mjs --check
[ -f worker/build/index.js ] || die "the Worker is not built: source scripts/lib.sh && build_worker"
ensure_node_modules
ensure_schemathesis
export SCHEMATHESIS="$VERICORD_SCHEMATHESIS"

# The fuzzer adds webhook endpoints with URLs of its own making, and the Worker delivers to
# them. So the run goes in a network namespace of its own whose only interface is loopback:
# nothing it does can reach another host. Where no namespace can be made, the operations that
# add endpoints are left out instead (the seeded endpoint is on loopback).
inner='ip link set lo up && exec "$@"'
if unshare --net true 2>/dev/null && command -v ip >/dev/null; then
  exec unshare --net sh -c "$inner" sh node tests/openapi/run.mjs
elif unshare --user --map-root-user --net true 2>/dev/null && command -v ip >/dev/null; then
  exec unshare --user --map-root-user --net sh -c "$inner" sh node tests/openapi/run.mjs
else
  say "no network namespace here: the operations that add webhook endpoints are not tested"
  OPENAPI_OFFLINE_WEBHOOKS=1 exec node tests/openapi/run.mjs
fi
