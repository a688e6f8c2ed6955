#!/usr/bin/env bash
# Install the Debian packages stentguide needs beyond Python: Pango and fonts for
# PDF leaflets (WeasyPrint), Chromium for the browser tests, poppler for
# looking at PDFs, a Java runtime for the Spark tests. Idempotent; a no-op when everything is present.
# Usage: scripts/system-deps.sh [run|test]
set -euo pipefail
want=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation)
if [ "${1:-run}" = "test" ]; then
  want+=(chromium poppler-utils openjdk-17-jre-headless)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "stentguide needs these Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
