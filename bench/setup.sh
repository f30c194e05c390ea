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

# openai 6 supports Node.js 20 or later; Debian 12's nodejs is 18, which has everything
# the SDK uses (fetch, streams) but is past its end of life: say so, run anyway.
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 20 ] || echo "bench/setup.sh: Node.js $major is older than the SDK supports (20)" >&2

node_dir=bench/peers/node
if [ ! -f "$node_dir/node_modules/openai/package.json" ] ||
    [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "bench/setup.sh: npm ci in $node_dir" >&2
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
