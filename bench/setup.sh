#!/usr/bin/env bash
# setup.sh - installs what `make bench` needs on a fresh Debian machine (idempotent; run
# by bench/run.sh): the build's packages (scripts/install-deps.sh), then nginx (the
# instant server), gnuplot (the chart), Python's aiohttp (a peer), curl, Node.js and npm
# (when no node is installed), and the Node peer's pinned npm packages (`npm ci` from
# bench/peers/node/package-lock.json). Needs root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

want=(gnuplot-nox python3-aiohttp curl time)
command -v nginx >/dev/null 2>&1 || want+=(nginx-light)
command -v node >/dev/null 2>&1 || want+=(nodejs)
command -v npm >/dev/null 2>&1 || want+=(npm)
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench/setup.sh: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts nginx as a service on install; the bench runs its own on a free port.

node_dir=bench/peers/node
if [ ! -f "$node_dir/node_modules/openai/package.json" ] ||
    [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "bench/setup.sh: npm ci in $node_dir" >&2
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
