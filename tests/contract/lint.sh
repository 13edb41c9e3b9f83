#!/usr/bin/env bash
# Lints docs/openapi.json with Redocly CLI's recommended rules (redocly.yaml in the repository
# root). Fails on any error and on any warning not ignored on purpose (.redocly.lint-ignore.yaml).
# The first run installs the pinned CLI from tests/contract/package-lock.json; later runs need no
# network (and a reinstall is served from npm's cache when it has the package).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo}"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_SUPPRESS_NOTIFICATIONS=true

if [ ! -e tests/contract/node_modules/.bin/redocly ]; then
  npm ci --prefix tests/contract --no-audit --no-fund --prefer-offline
fi
redocly=(npx --no --prefix tests/contract redocly lint docs/openapi.json --config redocly.yaml)

# Stylish for people reading the test log; the exit status says whether there were errors.
"${redocly[@]}" --format=stylish

# Warnings do not change the exit status: count them from the JSON report.
report="$("${redocly[@]}" --format=json 2>/dev/null)"
warnings="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["totals"]["warnings"])' \
  <<<"${report}")"
if [ "${warnings}" != "0" ]; then
  echo "openapi lint: ${warnings} warning(s): fix them, or keep one on purpose in" \
    ".redocly.lint-ignore.yaml and say why in docs/api-contract.md" >&2
  exit 1
fi
