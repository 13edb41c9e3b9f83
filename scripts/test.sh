#!/usr/bin/env bash
# The second command of the README, and what CI runs: every test (unit, integration, end-to-end)
# in the Release build and under AddressSanitizer + UndefinedBehaviorSanitizer, then each fuzz
# target (clang, libFuzzer) for 20 s on its seed corpus. Ends with CTest's summary lines.
# The Release tests include deploy_compose_up (label compose): the compose topology started on
# Docker or Podman by scripts/compose.sh test, removed again on any exit (deploy/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The web UI first: the gateway serves it and the browser tests (CTest label "web") drive it.
scripts/build-web.sh

jobs=$(nproc)
# Objects compiled before (an earlier run, another clone: paths are taken relative to the
# checkout) come from ccache; a first run compiles everything.
export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
export CCACHE_BASEDIR="${PWD}" CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-12G}"
for preset in release asan fuzz; do
  echo "== building ${preset}"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
done

status=0
summaries="$(mktemp)"
trap 'rm -f "${summaries}"' EXIT
echo "== testing release"
ctest --preset release -j "${jobs}" --timeout 600 | tee -a "${summaries}" || status=1
echo "== testing asan"
ctest --preset asan -j "${jobs}" --timeout 900 | tee -a "${summaries}" || status=1
echo "== fuzzing"
ctest --preset fuzz -j "${jobs}" | tee -a "${summaries}" || status=1
# CTest prints per-label times and skipped tests after its summary line: end with the summaries.
echo "== summary (release, asan, then fuzz)"
grep -E "^[0-9]+% tests passed" "${summaries}" || status=1
exit ${status}
