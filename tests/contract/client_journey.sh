#!/usr/bin/env bash
# A TypeScript client generated from docs/openapi.json runs the shopping journey against the real
# binary (src/client_journey.ts): the document must be complete enough for the compiler to accept
# every call, and true enough for the answers to match. ORDO_BINARY: the `ordo` to run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo}/tests/contract"
if [ ! -e node_modules/.bin/openapi-typescript ] || [ ! -e node_modules/.bin/tsc ]; then
  npm ci --no-audit --no-fund --prefer-offline
fi
mkdir -p build
node_modules/.bin/openapi-typescript "${repo}/docs/openapi.json" --output build/ordo-api.d.ts
node_modules/.bin/tsc --project tsconfig.json
ORDO_REPO="${repo}" node build/js/src/client_journey.js
