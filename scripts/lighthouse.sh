#!/usr/bin/env bash
# Lighthouse on the storefront's home and product pages; records the scores in docs/web.md and
# fails under the bars (performance 90, accessibility 95, best practices 95). About a minute:
# not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-web.sh
cmake --build --preset release --target ordo >/dev/null
CHROME_PATH=/usr/bin/chromium node web/tools/lighthouse.mjs
