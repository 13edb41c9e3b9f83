#!/usr/bin/env bash
# Builds the web UI (web/dist: the storefront, the admin console and the /docs explorer the
# gateway serves) when its sources, package.json or lockfile changed since the last build.
# `--force` builds anyway.
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=dist/.build-stamp
if [ "${1:-}" != "--force" ] && [ -f "${stamp}" ] &&
  [ -z "$(find src index.html admin public explorer tools/vendor-explorer.mjs package.json package-lock.json vite.config.ts tsconfig.json \
    -newer "${stamp}" -print -quit)" ]; then
  exit 0
fi
# swagger-ui-dist (the /docs explorer) depends on @scarf/scarf, whose install script reports
# installs to scarf.sh: off (also by "scarfSettings" in package.json).
export SCARF_ANALYTICS=false
# npm ci only when the lockfile is newer than the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
touch "${stamp}"
