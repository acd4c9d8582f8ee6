#!/usr/bin/env bash
# Tests the npm package as packed: installs the tarball into a throwaway copy
# of this fixture project and runs the Node tests and the headless Chromium
# tests against every vector in tests/vectors, the tamper battery, and the
# self-verifying close-package page (crates/wasm/pkg/close-package-verify.html,
# built beside the tarball) opened from file:// with the network blocked.
#
#   tests/npm/run.sh               # builds the tarball first (fast if unchanged)
#   VERICORD_TGZ=x.tgz tests/npm/run.sh   # (VERICORD_VERIFY_TEMPLATE=… for its page)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

tgz=${VERICORD_TGZ:-}
if [[ -z $tgz ]]; then
  "$repo/scripts/build-npm"
  version=$(node -p 'require(process.argv[1]).version' "$repo/crates/wasm/package.json")
  tgz=$repo/target/npm/vericord-$version.tgz
fi
[[ -f $tgz ]] || { echo "run.sh: no tarball $tgz" >&2; exit 1; }

# The Chromium test needs Debian's chromium; install it once if missing.
chromium=${VERICORD_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  echo "run.sh: installing chromium with apt-get" >&2
  timeout 600 "${sudo[@]}" apt-get install -y --no-install-recommends chromium ||
    { timeout 300 "${sudo[@]}" apt-get update && timeout 600 "${sudo[@]}" apt-get install -y --no-install-recommends chromium; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vericord-npm.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$here/package.json" "$here/lib" "$here/test" "$here/browser" "$here/vite" "$here/workerd" "$work/"
cd "$work"
# The package has no dependencies, so this never needs the registry.
timeout 120 npm install --no-audit --no-fund --no-package-lock --prefer-offline "$tgz"

export VERICORD_VECTORS=${VERICORD_VECTORS:-$repo/tests/vectors}
export VERICORD_CHROMIUM=$chromium
export VERICORD_VERIFY_TEMPLATE=${VERICORD_VERIFY_TEMPLATE:-$repo/crates/wasm/pkg/close-package-verify.html}
[[ -f $VERICORD_VERIFY_TEMPLATE ]] || { echo "run.sh: no page template $VERICORD_VERIFY_TEMPLATE" >&2; exit 1; }
VERICORD_PLAYWRIGHT=$(cd "$repo" && node -p 'require.resolve("playwright-core").replace(/index\.js$/, "index.mjs")')
export VERICORD_PLAYWRIGHT
# Vite (a root dev dependency) bundles test/vite.test.mjs's page from the installed package.
VERICORD_VITE=$(cd "$repo" && node --input-type=module -e 'console.log(new URL(import.meta.resolve("vite")).pathname)')
export VERICORD_VITE
# esbuild and Miniflare (root dev dependencies) bundle and run test/workerd.test.mjs's Worker.
VERICORD_ESBUILD=$(cd "$repo" && node --input-type=module -e 'console.log(new URL(import.meta.resolve("esbuild")).pathname)')
VERICORD_MINIFLARE=$(cd "$repo" && node --input-type=module -e 'console.log(new URL(import.meta.resolve("miniflare")).pathname)')
export VERICORD_ESBUILD VERICORD_MINIFLARE
# OpenZeppelin's verifier (a root dev dependency) checks the close-package inclusion proofs:
# in Node from its own entry, in Chromium bundled for the browser by esbuild.
VERICORD_OZ=$(cd "$repo" && node -p 'require.resolve("@openzeppelin/merkle-tree")')
export VERICORD_OZ
(cd "$repo" && echo "export { SimpleMerkleTree } from '@openzeppelin/merkle-tree';" |
  node_modules/.bin/esbuild --bundle --format=esm --platform=browser --log-level=warning) >"$work/browser/oz.mjs"
timeout 600 node --test --test-reporter=spec --test-timeout=180000 \
  test/api.test.mjs test/vectors.test.mjs test/tamper.test.mjs test/browser.test.mjs test/verify-page.test.mjs test/vite.test.mjs test/workerd.test.mjs
