#!/usr/bin/env bash
# Installs the Debian 12 packages Ordo needs to build and test, when they are missing.
set -euo pipefail

packages=(
  ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libpq-dev postgresql libsodium-dev libssl-dev
  libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev
  nats-server libnats-dev rabbitmq-server librabbitmq-dev
  curl libcurl4-openssl-dev python3-yaml python3-aiosmtpd docker-compose
  clang libclang-rt-14-dev
  prometheus
)

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
