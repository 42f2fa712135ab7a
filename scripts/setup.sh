#!/usr/bin/env bash
# One-command set-up on a fresh Debian machine (as root): node dependencies, build, the
# `spreed-setup` command on PATH, and the real servers the tests run against.
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
minor=$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 12 ]; }; then
  echo "spreed-setup needs Node.js 20.12 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

echo "== node dependencies"
npm ci --no-audit --no-fund --loglevel=error
echo "== build"
npm run --silent build

if [ "$(id -u)" = 0 ]; then
  echo "== spreed-setup on PATH"
  npm link --no-audit --no-fund --loglevel=error >/dev/null
  echo "   $(command -v spreed-setup)"
  echo "== real components for the tests"
  bash scripts/provision.sh
else
  echo "(not root: skipped putting spreed-setup on PATH and installing the test servers;"
  echo " run 'sudo bash scripts/setup.sh' for those)"
fi
echo "ready: spreed-setup --help"
