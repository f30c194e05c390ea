# ux_live_journal.sh - issue 18 point 1: status, export and report read a journal at any
# moment, read-only: while a run writes it, while a writer holds a write transaction, as
# a user who may not write it (a dashboard account, a read-only mount), and closed in a
# folder its reader may not write. None of them changes the file.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/in" "$TMP/job"
gen_images "$TMP/in" 24 --seed 19 --min-side 64 --max-side 128
export OPENAI_API_KEY=sk-vbtest-live
J="$TMP/job/j.journal"

# within_2s NAME CMD...: CMD exits 0 within 2 s (a reader waiting for a lock takes 5 s).
within_2s() {
    local name=$1 t0 ms status=0
    shift
    t0=$(date +%s%N)
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || status=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$status" -eq 0 ] || { cat "$TMP/$name.err"; fail "$name: exit $status"; }
    [ "$ms" -lt 2000 ] || fail "$name took $ms ms"
}

# as_nobody CMD...: CMD as an unprivileged user, who can read the journal but not write
# it or its folder.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
can_drop=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$TMP" "$TMP/job"
    can_drop=yes
fi

# --- while a run writes the journal (answers take 0.6 s, 3 in flight)
start_sim --latency-ms 600
"$VB_BIN" run --base-url "$SIM_URL" -c 3 --journal "$J" --progress none \
    -o "$TMP/job/out.jsonl" "$TMP/in" 2>"$TMP/run.err" &
VB=$!
VB_PIDS+=("$VB")
for _ in $(seq 1 100); do
    [ "$(cat "$TMP/job/out.jsonl" 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.1
done
kill -0 "$VB" 2>/dev/null || fail "the run ended before it could be read live"
within_2s status "$VB_BIN" status --json "$J"
py "$TMP/status.out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert 3 <= s["counts"]["ok"] < 24, s
PY
within_2s export "$VB_BIN" export -o "$TMP/live.jsonl" "$J"
[ "$(wc -l <"$TMP/live.jsonl")" -ge 3 ] || fail "export of a live journal is empty"
within_2s report "$VB_BIN" report -o "$TMP/live.html" "$J"
if [ -n "$can_drop" ]; then
    within_2s status_nobody as_nobody "$VB_BIN" status "$J"
    within_2s export_nobody as_nobody "$VB_BIN" export "$J"
fi
status=0
wait "$VB" || status=$?
[ "$status" -eq 0 ] || { cat "$TMP/run.err"; fail "the run: exit $status"; }

# --- a writer holding a write transaction (a run between two commits) does not stop them
sum_before=$(sha256sum "$J" | cut -d' ' -f1)
python3 - "$J" 6 >"$TMP/hold.out" 2>&1 <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=1)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT OR REPLACE INTO meta VALUES ('held_by_test', 'x')")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
PY
HOLD=$!
VB_PIDS+=("$HOLD")
for _ in $(seq 1 100); do grep -q held "$TMP/hold.out" 2>/dev/null && break; sleep 0.05; done
grep -q held "$TMP/hold.out" || { cat "$TMP/hold.out"; fail "could not hold the journal"; }
within_2s status_held "$VB_BIN" status "$J"
grep -q "24 of 24 done" "$TMP/status_held.out" || { cat "$TMP/status_held.out"; fail "status"; }
within_2s export_held "$VB_BIN" export -o "$TMP/held.jsonl" "$J"
[ "$(wc -l <"$TMP/held.jsonl")" -eq 24 ] || fail "export while held"
within_2s report_held "$VB_BIN" report -o "$TMP/held.html" "$J"
wait "$HOLD"

# --- closed, read by a user who may write neither the journal nor its folder
if [ -n "$can_drop" ]; then
    [ ! -e "$J-wal" ] || fail "the run left $J-wal behind"
    within_2s status_ro as_nobody "$VB_BIN" status --json "$J"
    py "$TMP/status_ro.out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts"]["ok"] == 24, s
PY
    within_2s export_ro as_nobody "$VB_BIN" export "$J"
    [ "$(wc -l <"$TMP/export_ro.out")" -eq 24 ] || fail "export as another user"
    within_2s report_ro as_nobody "$VB_BIN" report -o - "$J"
    grep -q "<html" "$TMP/report_ro.out" || fail "report as another user wrote no page"
    # a journal of the release before file stamps (schema 3) is read as it is, never
    # upgraded by a reader
    cp "$J" "$TMP/job/old.journal"
    python3 - "$TMP/job/old.journal" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("ALTER TABLE items DROP COLUMN file_size")
db.execute("ALTER TABLE items DROP COLUMN file_mtime_ns")
db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
PY
    chmod 644 "$TMP/job/old.journal"
    old_sum=$(sha256sum "$TMP/job/old.journal" | cut -d' ' -f1)
    within_2s status_v3 as_nobody "$VB_BIN" status "$TMP/job/old.journal"
    grep -q "24 of 24 done" "$TMP/status_v3.out" || { cat "$TMP/status_v3.out"; fail "status v3"; }
    within_2s export_v3 "$VB_BIN" export "$TMP/job/old.journal"
    [ "$(wc -l <"$TMP/export_v3.out")" -eq 24 ] || fail "export of a schema 3 journal"
    [ "$(sha256sum "$TMP/job/old.journal" | cut -d' ' -f1)" = "$old_sum" ] ||
        fail "reading a schema 3 journal changed it"
else
    echo "note: not root or no setpriv: the other-user checks did not run"
fi
[ "$(sha256sum "$J" | cut -d' ' -f1)" = "$sum_before" ] || fail "reading changed the journal"
echo "ok"
