#!/usr/bin/env bash
# Install the pinned axe-core (tests/a11y/package-lock.json) that the browser tests run
# in the page; from the npm registry with npm ci, never from a CDN. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../tests/a11y"
want=$(node -p "require('./package-lock.json').packages['node_modules/axe-core'].version")
have=$(node -p "try { require('./node_modules/axe-core/package.json').version } catch (e) { '' }")
[ "$want" = "$have" ] && exit 0
if ! command -v npm >/dev/null; then
  echo "the browser tests need npm to install axe-core $want (apt-get install npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --silent
