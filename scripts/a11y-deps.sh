#!/usr/bin/env bash
# Install the pinned axe-core (tests/a11y/package-lock.json) that the browser tests run
# in the page; from the npm registry with npm ci, never from a CDN. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../tests/a11y"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "the browser tests need Node.js and npm to install axe-core (apt-get install nodejs npm)" >&2
    exit 1
  fi
  echo "Installing Debian packages: nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
want=$(node -p "require('./package-lock.json').packages['node_modules/axe-core'].version")
have=$(node -p "try { require('./node_modules/axe-core/package.json').version } catch (e) { '' }")
[ "$want" = "$have" ] && exit 0
npm ci --no-audit --no-fund --silent
