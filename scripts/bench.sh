#!/usr/bin/env bash
# A short benchmark (about a minute): builds Release if needed, then runs every scenario of
# `ordo bench` for 5 s at 32 connections and prints the table. Extra arguments go to `ordo bench`
# (e.g. --json, --seconds 10, --sqlite-synchronous FULL, order-flow read).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target ordo >/dev/null
exec build/release/ordo bench --seconds 5 --connections 32 "$@"
