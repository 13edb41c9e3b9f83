#!/usr/bin/env bash
# Installs the Debian 12 packages Ordo needs to build and test, when they are missing.
set -euo pipefail

packages=(
  ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libpq-dev postgresql libsodium-dev libssl-dev zlib1g-dev
  libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev
  nats-server libnats-dev rabbitmq-server librabbitmq-dev
  curl libcurl4-openssl-dev python3-yaml python3-aiosmtpd python3-jsonschema docker-compose
  clang libclang-rt-14-dev
  chromium
  prometheus
)
# The web UI (web/) and the contract tests (tests/contract) use Node.js and npm; any install of
# them will do (a machine may carry a newer Node.js than Debian's, with its own npm: then
# Debian's npm package would clash).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
