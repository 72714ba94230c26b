#!/usr/bin/env bash
# Installs what the real-VS-Code tests (test/e2e/) need, only when it is missing (a second run
# changes nothing):
#   - Debian's chromium (the browser Playwright drives) and ripgrep, libkrb5-dev (code-server's
#     install needs both);
#   - code-server (the real VS Code workbench in a browser, ~300 MB with its native modules),
#     pinned, in a tools folder OUTSIDE the project's node_modules, so `npm ci` stays small for
#     users. The folder is `.tools/` (git-ignored) unless BACKPLAN_TOOLS_DIR names another one.
#     (playwright-core, which drives Chromium, is a small pinned dev dependency of the project:
#     it downloads no browser; the tests use Debian's chromium.)
# code-server 4.100.3 (VS Code 1.100.3) is the newest that runs on Node 20.
# Its install tries to download ripgrep; that download is served from the cache folder that
# @vscode/ripgrep reads first, filled from Debian's rg (this machine reaches no other host).
# Without root (and without passwordless sudo) the Debian packages are not installed: a warning is
# printed and the e2e tests skip, or fail in CI (BACKPLAN_REQUIRE_INTEGRATION=1).
set -euo pipefail
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.100.3
RIPGREP_PREBUILT=1.15.11                # the @vscode/ripgrep version code-server 4.100.3 pulls in
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
TOOLS=${BACKPLAN_TOOLS_DIR:-$PWD/.tools}
STAMP="$TOOLS/.installed"
WANT="code-server@$CODE_SERVER_VERSION"

log() { echo "install-e2e-tools: $*" >&2; }

# --- Debian packages ------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg-query -W -f='${Status}\n' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); fi
  fi
  if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; }; then
    log "missing ${missing[*]} and no way to install them (needs apt-get and root); e2e tests will skip"
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600)
  log "installing ${missing[*]}"
  if ! "${APT[@]}" install -y --no-install-recommends "${missing[@]}"; then
    "${APT[@]}" update
    "${APT[@]}" install -y --no-install-recommends "${missing[@]}"
  fi
fi

# --- code-server in the tools folder ----------------------------------------------------------
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
  && [ -x "$TOOLS/node_modules/.bin/code-server" ]; then
  exit 0
fi
command -v rg >/dev/null 2>&1 || { log "rg is missing: cannot serve code-server's ripgrep download"; exit 1; }

mkdir -p "$TOOLS/tmp/vscode-ripgrep-cache-$RIPGREP_PREBUILT"
tar czf "$TOOLS/tmp/vscode-ripgrep-cache-$RIPGREP_PREBUILT/$RIPGREP_ASSET" -C "$(dirname "$(command -v rg)")" rg
cat >"$TOOLS/package.json" <<EOF
{
  "name": "backplan-e2e-tools",
  "private": true,
  "description": "Tools of the real-VS-Code tests, installed by scripts/install-e2e-tools.sh",
  "dependencies": {
    "code-server": "$CODE_SERVER_VERSION"
  }
}
EOF
log "installing $WANT into $TOOLS (code-server compiles native modules: a few minutes)"
t0=$(date +%s)
(
  cd "$TOOLS"
  TMPDIR="$TOOLS/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --loglevel=error --omit=dev
)
"$TOOLS/node_modules/.bin/code-server" --version >/dev/null
echo "$WANT" >"$STAMP"
log "done in $(( $(date +%s) - t0 )) s"
