# lib.sh - shared by the integration tests (sourced, not run; not a test itself).
#
# Every test runs the real binaries against the real simulator on a loopback port the
# kernel picks, in its own temporary directory, and cleans up every process it starts.
# Environment from CTest: VB_BIN, VB_SIM, VB_GEN, VB_SRC, VB_TEST_DATA.
set -euo pipefail

: "${VB_BIN:?VB_BIN must name the visionbatch binary}"
: "${VB_SIM:?VB_SIM must name the visionbatch-sim binary}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vbtest.XXXXXX")
VB_PIDS=()
SIM_URL=""
SIM_PID=""

vb_cleanup() {
    local pid
    for pid in "${VB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${VB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap vb_cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# start_sim [sim options...]: starts the simulator on a free port; sets SIM_URL (the
# base URL, ending in /v1) and SIM_PID.
start_sim() {
    local out="$TMP/sim.$RANDOM.out"
    "$VB_SIM" --port 0 "$@" >"$out" 2>"$out.err" &
    SIM_PID=$!
    VB_PIDS+=("$SIM_PID")
    local i
    for i in $(seq 1 200); do
        SIM_URL=$(head -n 1 "$out" 2>/dev/null || true)
        [ -n "$SIM_URL" ] && return 0
        kill -0 "$SIM_PID" 2>/dev/null || { cat "$out.err" >&2; fail "simulator exited"; }
        sleep 0.05
    done
    fail "simulator did not report its port"
}

# sim_stat KEY: one number from the simulator's /sim/stats (dotted path, e.g. responses.200).
sim_stat() { python3 "$VB_SRC/scripts/sim_stat.py" "$SIM_URL" "$1"; }

# run_vb EXPECTED_STATUS NAME ARGS...: runs `visionbatch run` against the simulator, its
# stderr in $TMP/NAME.err; fails the test on another exit status.
run_vb() {
    local want=$1 name=$2 status=0
    shift 2
    "$VB_BIN" run --base-url "$SIM_URL" "$@" 2>"$TMP/$name.err" || status=$?
    [ "$status" -eq "$want" ] || { cat "$TMP/$name.err"; fail "$name: exit $status, expected $want"; }
}

# gen_images DIR N [options]: writes N sample product images into DIR.
gen_images() {
    "$VB_GEN" "$@" >/dev/null
}

# py SCRIPT ARGS...: runs a Python check (assertions fail the test).
py() {
    python3 - "$@"
}

# damage_jpeg_scan SRC DST: writes SRC's JPEG to DST with 380 random bytes inside its
# compressed data, 20 bytes after the start of scan: the markers and the end stay intact,
# so only a decode finds the damage.
damage_jpeg_scan() {
    python3 - "$1" "$2" <<'PY'
import random, struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
i = 2
while data[i + 1] != 0xDA:  # to the first byte after the start of scan
    i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
s = i + 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
rng = random.Random(7)
for k in range(s + 20, min(len(data) - 4, s + 400)):
    data[k] = rng.randrange(0, 0xFF)
open(sys.argv[2], "wb").write(data)
PY
}

# start_redis [redis-server options...]: starts a throw-away redis-server on a free
# loopback port (no persistence unless the options ask for it), in its own directory
# under $TMP; sets REDIS_PORT, REDIS_URL and REDIS_PID. restart_redis starts it again
# on the same port with the same options.
start_redis() {
    REDIS_OPTS=("$@")
    REDIS_DIR="$TMP/redis"
    mkdir -p "$REDIS_DIR"
    REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    restart_redis
}

restart_redis() {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save '' \
        --appendonly no --daemonize no "${REDIS_OPTS[@]}" >>"$REDIS_DIR/log" 2>&1 &
    REDIS_PID=$!
    VB_PIDS+=("$REDIS_PID")
    local i
    for i in $(seq 1 100); do
        redis-cli -p "$REDIS_PORT" ${REDIS_PASS:+--no-auth-warning -a "$REDIS_PASS"} ping \
            2>/dev/null | grep -q PONG && return 0
        kill -0 "$REDIS_PID" 2>/dev/null || { cat "$REDIS_DIR/log" >&2; fail "redis-server exited"; }
        sleep 0.05
    done
    fail "redis-server did not answer"
}

# rcli ARGS...: redis-cli against the test's server.
rcli() { redis-cli -p "$REDIS_PORT" ${REDIS_PASS:+--no-auth-warning -a "$REDIS_PASS"} "$@"; }
