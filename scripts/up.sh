#!/usr/bin/env bash
# The first command of the README: install what is missing, build Release, run everything on the
# embedded default (gateway on http://127.0.0.1:3000, data in ./data; the shop at /, the admin
# console at /admin). Extra arguments go to `ordo serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build-web.sh
cmake --preset release >/dev/null
cmake --build --preset release --target ordo
exec build/release/ordo serve --data-dir ./data "$@"
