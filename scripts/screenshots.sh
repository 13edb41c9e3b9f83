#!/usr/bin/env bash
# Regenerates docs/screenshots/ (every page of the shop and the admin console, desktop and phone
# width) against a fresh `ordo serve` with a small seeded catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-web.sh
cmake --build --preset release --target ordo >/dev/null
node web/tools/screenshots.mjs
