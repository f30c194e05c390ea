#!/usr/bin/env bash
# Installs the Debian packages visionbatch builds, tests and benchmarks with (clang and
# libclang-rt-14-dev, which holds libFuzzer, for make fuzz; valgrind for make valgrind;
# the link files of libcurl's own dependencies, which `pkg-config --static --libs
# visionbatch` names, for tests/integration/embed.sh's program linked with
# libvisionbatch.a).
# Idempotent: does nothing when every package is already present.
# Needs root (or sudo) on Debian/Ubuntu; prints what it would install otherwise.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev libjansson-dev libvips-dev libjpeg62-turbo-dev libmicrohttpd-dev
  libcmocka-dev libsqlite3-dev libinih-dev libssl-dev
  libhiredis-dev redis-server
  python3 python3-jsonschema time curl
  tmux chromium python3-prometheus-client
  libvips-tools openssl procps
  clang libclang-rt-14-dev valgrind
  libnghttp2-dev librtmp-dev libssh2-1-dev libpsl-dev libkrb5-dev libldap-dev
  nginx tinyproxy iproute2 util-linux
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
