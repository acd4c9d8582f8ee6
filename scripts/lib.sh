# Shared by scripts/dev and scripts/test: install what is missing, idempotently.
# Everything lands outside the clone (~/.cargo/bin, ~/.cache/vericord) or in
# git-ignored paths (node_modules, target, .vericord), so a fresh clone on a
# bare machine and a warm one behave the same, the warm one just faster.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vericord
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# Keep wrangler quiet and offline (no account, no metrics, no cf fetch).
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
# worker-build would download these from GitHub; point it at pinned local ones.
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt" ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"

WORKER_BUILD_VERSION=0.8.7
PYTHON_SDK_VERSION=0.7.0
SCHEMATHESIS_VERSION=4.32.5

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_rust() {
  command -v rustup >/dev/null || die "rustup is required (Rust stable via rustup)"
  # rust-toolchain.toml names the toolchain and the wasm32 target; this installs both if missing.
  (cd "$ROOT" && rustup show active-toolchain >/dev/null 2>&1) || (cd "$ROOT" && rustup toolchain install)
  (cd "$ROOT" && rustup target list --installed | grep -qx wasm32-unknown-unknown) ||
    (cd "$ROOT" && rustup target add wasm32-unknown-unknown)
}

# ensure_cargo_tool <binary> <crate> <version>
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3
  if "$bin" --version 2>/dev/null | grep -qF "$version"; then return 0; fi
  say "installing $crate $version (once per machine)"
  # Debug builds of tools take a third of the time and run fast enough.
  export CARGO_PROFILE_DEV_DEBUG=0
  cargo install --debug --locked "$crate" --version "$version" ||
    cargo install --debug "$crate" --version "$version"
}

ensure_tools() {
  ensure_rust
  ensure_cargo_tool wasm-bindgen wasm-bindgen-cli "$(wasm_bindgen_version)"
  ensure_cargo_tool worker-build worker-build "$WORKER_BUILD_VERSION"
}

ensure_node_modules() {
  command -v node >/dev/null || die "Node.js 20 is required"
  local stamp="$ROOT/node_modules/.vericord-lock-sha"
  local want
  want=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
}

# A venv outside the clone with the official SDK pinned, for the checks that use it.
ensure_python_sdk() {
  VERICORD_PY="$CACHE/venv-sdk-$PYTHON_SDK_VERSION/bin/python"
  if ! "$VERICORD_PY" -c "import pacspace_sdk, pytest" 2>/dev/null; then
    say "creating Python venv with pacspace-sdk==$PYTHON_SDK_VERSION"
    python3 -m venv --clear "$CACHE/venv-sdk-$PYTHON_SDK_VERSION"
    "$VERICORD_PY" -m pip install --quiet --disable-pip-version-check "pacspace-sdk==$PYTHON_SDK_VERSION" "pytest==8.3.5"
  fi
  export VERICORD_PY
}

# A venv outside the clone with schemathesis and its dependencies pinned
# (tests/openapi/requirements.txt), for tests/openapi/run.sh.
ensure_schemathesis() {
  local venv="$CACHE/venv-schemathesis-$SCHEMATHESIS_VERSION"
  local stamp="$venv/.vericord-requirements-sha" want
  want=$(sha256sum "$ROOT/tests/openapi/requirements.txt" | cut -d' ' -f1)
  VERICORD_SCHEMATHESIS="$venv/bin/schemathesis"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! "$VERICORD_SCHEMATHESIS" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    say "creating Python venv with schemathesis==$SCHEMATHESIS_VERSION"
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/tests/openapi/requirements.txt"
    echo "$want" >"$stamp"
  fi
  export VERICORD_SCHEMATHESIS
}

# Debian packages the tests drive: Chromium (browser tests), poppler-utils (pdftotext and
# pdftoppm read the PDF exports) and unzip (opens the bundles).
ensure_debian_packages() {
  local missing=() sudo=""
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  command -v unzip >/dev/null || missing+=(unzip)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian ${missing[*]} (for the tests)"
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Builds the Worker into worker/build unless its inputs are unchanged.
build_worker() {
  build_www
  local stamp="$ROOT/worker/build/.vericord-src-sha" want
  want=$(cd "$ROOT" && cat Cargo.lock Cargo.toml $(git ls-files -co --exclude-standard crates/core worker/src worker/Cargo.toml) | sha256sum | cut -d' ' -f1)
  if [ -f "$ROOT/worker/build/index.js" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  say "building the Worker"
  rm -f "$stamp"
  (cd "$ROOT/worker" && worker-build --release) || die "worker build failed"
  echo "$want" >"$stamp"
}

# The pages in www/ import the npm package's browser build from www/vendor/vericord/; the
# Worker fills close-package-verify.html (with the wasm beside it) into each bundle's verify.html.
build_www() {
  (cd "$ROOT" && scripts/build-npm >/dev/null) || die "npm package build failed"
  local pkg="$ROOT/crates/wasm/pkg" dest="$ROOT/www/vendor/vericord" f
  mkdir -p "$dest"
  for f in browser.js api.js vericord_wasm.js vericord_wasm_bg.wasm close-package-verify.html; do
    cmp -s "$pkg/$f" "$dest/$f" || cp "$pkg/$f" "$dest/$f"
  done
}

# apply_migrations <persist-dir>
apply_migrations() {
  (cd "$ROOT" && CI=true wrangler d1 migrations apply DB --local --persist-to "$1" >/dev/null)
}
