#!/usr/bin/env bash
# Independent checks of tests/vectors: OpenZeppelin's verifier (Node) and the official
# PacSpace SDK's primitives (Python). Needs node_modules at the repo root, cargo (to
# build the vectors binary) and VERICORD_PY: a python with pacspace-sdk==0.7.0.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${VERICORD_PY:?set VERICORD_PY to a python with pacspace-sdk==0.7.0 installed}"
cargo build -q -p vericord-vectors
node tests/independent/oz-check.mjs
"$VERICORD_PY" tests/independent/sdk_check.py
