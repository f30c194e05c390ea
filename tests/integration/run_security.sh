# run_security.sh - the API key stays secret and goes only where it should:
#   - it is in no file or stream a run produces (results, journal and its WAL read raw
#     and through `strings`, status/export output, summary, warnings, error text, the
#     simulator's logs and stats) and not in the running process's argv or environment;
#   - a key file others can read is warned about; VISIONBATCH_API_KEY_FILE works;
#   - plain http:// to a host that is not loopback is refused unless --allow-http;
#   - TLS certificates are verified unless --insecure, which warns on every run;
#   - a redirect to another host is never followed (no Authorization header there), and
#     the refusal names the Location without its password, query or the key;
#   - a key echoed by a server upper- or lower-cased is redacted too;
#   - the simulator listens on 127.0.0.1 unless told otherwise.
source "$(dirname "$0")/lib.sh"

KEY="sk-proj-vbsec$RANDOM$RANDOM$RANDOM-Zq"
MIDDLE=${KEY:8:14} # a piece of it: no partial copy may appear either
WRONG="sk-wrong$RANDOM$RANDOM-Wq"
mkdir -p "$TMP/in" "$TMP/run"
gen_images "$TMP/in" 12 --seed 51 --min-side 64 --max-side 200
printf 'not an image' >"$TMP/in/broken.jpg"
printf '%s\n' "$KEY" >"$TMP/keyfile"
chmod 600 "$TMP/keyfile"
start_sim --key "$KEY" --latency-ms 150 --record-requests "$TMP/run/requests.jsonl"
SIM_A_URL=$SIM_URL

# --- a normal run from the key file, watched from outside while it runs ---
env -u OPENAI_API_KEY -u VISIONBATCH_API_KEY "$VB_BIN" run --base-url "$SIM_URL" -c 2 \
    --api-key-file "$TMP/keyfile" -o "$TMP/run/out.jsonl" "$TMP/in" \
    >"$TMP/run/run.stdout" 2>"$TMP/run/run.stderr" &
vb=$!
VB_PIDS+=("$vb")
seen=0
for _ in $(seq 1 100); do
    if [ -r "/proc/$vb/cmdline" ] && tr '\0' ' ' <"/proc/$vb/cmdline" | grep -q "run --base-url"; then
        tr '\0' '\n' <"/proc/$vb/cmdline" >"$TMP/run/proc.cmdline"
        tr '\0' '\n' <"/proc/$vb/environ" >"$TMP/run/proc.environ"
        ps -o pid,args -p "$vb" >"$TMP/run/ps.txt" # (the simulator takes its key in argv)
        seen=1
        break
    fi
    sleep 0.02
done
status=0
wait "$vb" || status=$?
[ "$seen" -eq 1 ] || fail "never saw the running process"
grep -q "$VB_BIN run --base-url" "$TMP/run/ps.txt" || fail "ps did not list the run"
[ "$status" -eq 1 ] || { cat "$TMP/run/run.stderr"; fail "run: exit $status, expected 1 (broken.jpg)"; }
[ "$(grep -c '"status":"ok"' "$TMP/run/out.jsonl")" -eq 12 ] || fail "run: not 12 ok"
[ -s "$TMP/run/out.journal" ] || fail "no journal was written"

# the same job to standard output, from the environment; then status and export
OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "$SIM_URL" --journal "$TMP/run/stdout.journal" \
    "$TMP/in" >"$TMP/run/stdout-run.jsonl" 2>"$TMP/run/stdout-run.stderr" || true
"$VB_BIN" status "$TMP/run/out.journal" >"$TMP/run/status.txt" 2>&1
"$VB_BIN" status --json "$TMP/run/out.journal" >"$TMP/run/status.json" 2>&1
"$VB_BIN" export "$TMP/run/out.journal" >"$TMP/run/export.jsonl" 2>&1
"$VB_BIN" export --format csv "$TMP/run/out.journal" >"$TMP/run/export.csv" 2>&1
# a rejected key: its error text goes to stderr and the results
status=0
VISIONBATCH_API_KEY="$WRONG" "$VB_BIN" run --base-url "$SIM_URL" -o "$TMP/run/wrong.jsonl" \
    "$TMP/in" >"$TMP/run/wrong.stdout" 2>"$TMP/run/wrong.stderr" || status=$?
[ "$status" -eq 3 ] || fail "wrong key: exit $status, expected 3"
curl -s "${SIM_URL%/v1}/sim/stats" >"$TMP/run/sim-stats.json"
cp "$TMP"/sim.*.out "$TMP"/sim.*.out.err "$TMP/run/"

# --- every file and stream of those runs, raw and through strings ---
for j in "$TMP"/run/*.journal; do
    [ -e "$j-wal" ] && strings "$j-wal" >"$j-wal.strings"
    strings "$j" >"$j.strings"
done
files=$(find "$TMP/run" -type f | wc -l)
for secret in "$KEY" "$MIDDLE" "$WRONG"; do
    if grep -rlaF -- "$secret" "$TMP/run"; then
        fail "a secret appears in the files above"
    fi
done
grep -q "out.journal.strings" <(ls "$TMP/run") || fail "the journal was not read through strings"
echo "key hygiene: $files files and streams searched, no trace of the key"

# --- --help shows no key and no key-taking flag ---
for cmd in "" run status export estimate; do
    "$VB_BIN" $cmd --help >"$TMP/help.txt" 2>&1 || true
    if grep -nE 'sk-[A-Za-z0-9]|--api-key[^-]' "$TMP/help.txt"; then
        fail "visionbatch $cmd --help shows a key or an --api-key flag"
    fi
done
"$VB_BIN" run --help >"$TMP/help.txt"
grep -q -- "--api-key-file" "$TMP/help.txt" || fail "run --help does not name --api-key-file"

# --- a key file readable by others is warned about; VISIONBATCH_API_KEY_FILE works ---
chmod 644 "$TMP/keyfile"
env -u OPENAI_API_KEY -u VISIONBATCH_API_KEY VISIONBATCH_API_KEY_FILE="$TMP/keyfile" \
    "$VB_BIN" run --base-url "$SIM_URL" --no-journal -o "$TMP/loose.jsonl" "$TMP/in" \
    2>"$TMP/loose.err" || true
grep -q "API key file $TMP/keyfile is readable by other users" "$TMP/loose.err" ||
    { cat "$TMP/loose.err"; fail "no warning for a key file others can read"; }
[ "$(grep -c '"status":"ok"' "$TMP/loose.jsonl")" -eq 12 ] || fail "VISIONBATCH_API_KEY_FILE run"
chmod 600 "$TMP/keyfile"
env -u OPENAI_API_KEY -u VISIONBATCH_API_KEY VISIONBATCH_API_KEY_FILE="$TMP/keyfile" \
    "$VB_BIN" run --base-url "$SIM_URL" --no-journal -o "$TMP/tight.jsonl" "$TMP/in" \
    2>"$TMP/tight.err" || true
! grep -q "readable by other users" "$TMP/tight.err" || fail "warned about a mode 600 key file"

# --- plain http only to loopback, unless --allow-http ---
before=$(sim_stat requests)
status=0
OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url http://192.0.2.1/v1 --no-journal \
    -o "$TMP/http.jsonl" "$TMP/in" 2>"$TMP/http.err" || status=$?
[ "$status" -eq 2 ] || fail "http to a remote host: exit $status, expected 2"
grep -q "refusing plain http:// to 192.0.2.1" "$TMP/http.err" || fail "http refusal message"
# (in a network namespace of its own, holding only loopback: no packet leaves the machine)
status=0
OPENAI_API_KEY="$KEY" unshare -rn "$VB_BIN" run --base-url http://192.0.2.1/v1 --allow-http --no-journal \
    --no-preflight --timeout 0.5 --retries 0 -o "$TMP/http2.jsonl" "$TMP/in/broken.jpg" \
    "$TMP/in/product-000001.jpg" 2>"$TMP/http2.err" || status=$?
# (it tries: nothing answers in the namespace, so the run stops as for any endpoint that
# cannot be reached, the image left unsent)
[ "$status" -eq 3 ] || { cat "$TMP/http2.err"; fail "--allow-http: exit $status, expected 3"; }
grep -q "192.0.2.1:80" "$TMP/http2.err" || fail "--allow-http did not try"
port=${SIM_URL#http://127.0.0.1:}
port=${port%/v1}
for loop in localhost 127.0.0.2; do
    OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "http://$loop:$port/v1" --no-journal \
        --no-preflight --retries 0 -o "$TMP/loop.jsonl" "$TMP/in/product-000001.jpg" 2>"$TMP/loop.err" ||
        { [ "$loop" = 127.0.0.2 ] && grep -q "cannot connect to 127.0.0.2:$port" "$TMP/loop.err"; } ||
        { cat "$TMP/loop.err"; fail "http://$loop refused"; }
done
[ "$(sim_stat requests)" -ge "$((before + 1))" ] || fail "http://localhost did not reach the sim"

# --- TLS: a self-signed server is refused (the run stops); --insecure warns ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.crt" \
    -days 1 -subj "/CN=127.0.0.1" >/dev/null 2>&1
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$tls_port" -cert "$TMP/tls.crt" -key "$TMP/tls.key" \
    -www -quiet >/dev/null 2>&1 &
VB_PIDS+=("$!")
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break
    sleep 0.05
done
status=0
OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "https://127.0.0.1:$tls_port/v1" --no-journal \
    -o "$TMP/tls.jsonl" "$TMP/in" 2>"$TMP/tls.err" || status=$?
[ "$status" -eq 3 ] || { cat "$TMP/tls.err"; fail "self-signed TLS: exit $status, expected 3"; }
grep -q "TLS certificate verification failed" "$TMP/tls.err" || fail "TLS failure message"
for n in 1 2; do # the warning comes on every run
    status=0
    OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "https://127.0.0.1:$tls_port/v1" --insecure \
        --no-journal --retries 0 --timeout 2 -o "$TMP/insecure.jsonl" "$TMP/in/product-000001.jpg" \
        2>"$TMP/insecure.err" || status=$?
    grep -q "WARNING: --insecure: the server's TLS certificate is NOT verified" \
        "$TMP/insecure.err" || fail "--insecure: no warning on run $n"
    ! grep -q "TLS certificate verification failed" "$TMP/insecure.err" ||
        fail "--insecure still verified"
    # (s_server answers no POST: the run stops as for any server that answers nothing)
    [ "$status" -eq 3 ] || { cat "$TMP/insecure.err"; fail "--insecure: exit $status"; }
done

# --- a redirect to another host is not followed: B never sees a request ---
start_sim --host 127.0.0.2 --key "$KEY"
SIM_B_URL=$SIM_URL
start_sim --key "$KEY" --redirect-rate 1 --redirect-to "$SIM_B_URL/chat/completions"
status=0
OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "$SIM_URL" --no-journal -c 2 \
    -o "$TMP/redir.jsonl" "$TMP/in" 2>"$TMP/redir.err" || status=$?
[ "$status" -eq 3 ] || { cat "$TMP/redir.err"; fail "redirect: exit $status, expected 3"; }
grep -q "never follows redirects" "$TMP/redir.err" || fail "redirect: message"
[ "$(python3 "$VB_SRC/scripts/sim_stat.py" "$SIM_B_URL" requests)" -eq 0 ] ||
    fail "the redirect target received a request"
# the refusal names the Location (to fix --base-url by), without its user:password, its
# query or the key, whatever its case
B_HOSTPORT=${SIM_B_URL#http://}
B_HOSTPORT=${B_HOSTPORT%%/*}
UPPER_KEY=$(printf '%s' "$KEY" | tr '[:lower:]' '[:upper:]')
start_sim --key "$KEY" --redirect-rate 1 \
    --redirect-to "http://bob:hunter2@$B_HOSTPORT/v1/$UPPER_KEY/chat/completions?token=q9secret"
status=0
OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "$SIM_URL" --no-journal -c 2 \
    -o "$TMP/redir2.jsonl" "$TMP/in" 2>"$TMP/redir2.err" || status=$?
[ "$status" -eq 3 ] || { cat "$TMP/redir2.err"; fail "redirect 2: exit $status, expected 3"; }
grep -qF "redirects to http://$B_HOSTPORT/v1/[redacted]/chat/completions;" "$TMP/redir2.err" ||
    { cat "$TMP/redir2.err"; fail "redirect: the refusal does not name the Location"; }
! grep -qiE "hunter2|bob:|q9secret|$MIDDLE" "$TMP/redir2.err" "$TMP/redir2.jsonl" ||
    fail "redirect: the message shows the Location's password, query or the key"

# --- a server echoing the key upper-cased or lower-cased: masked all the same ---
ECHO_PORT_FILE="$TMP/echo.port"
python3 - "$ECHO_PORT_FILE" <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Authorization", "").split(" ")[-1]
        msg = "Incorrect API key provided: %s, or %s?" % (key.upper(), key.lower())
        body = json.dumps({"error": {"message": msg, "type": "invalid_request_error",
                                     "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
VB_PIDS+=("$!")
for _ in $(seq 1 100); do [ -s "$ECHO_PORT_FILE" ] && break; sleep 0.05; done
status=0
OPENAI_API_KEY="$KEY" "$VB_BIN" run --base-url "http://127.0.0.1:$(cat "$ECHO_PORT_FILE")/v1" \
    --no-journal -c 1 -o "$TMP/echo.jsonl" "$TMP/in" 2>"$TMP/echo.err" || status=$?
[ "$status" -eq 3 ] || { cat "$TMP/echo.err"; fail "echo: exit $status, expected 3 (auth)"; }
grep -q "Incorrect API key provided: \[redacted\], or \[redacted\]" "$TMP/echo.err" \
    "$TMP/echo.jsonl" || { cat "$TMP/echo.err"; fail "echo: the message is not the masked one"; }
! grep -qiF "$MIDDLE" "$TMP/echo.err" "$TMP/echo.jsonl" ||
    fail "a key echoed in another case is not redacted"

# --- the simulator listens on 127.0.0.1 by default ---
port=${SIM_A_URL#http://127.0.0.1:}
port=${port%/v1}
hexport=$(printf '%04X' "$port")
grep -q "^ *[0-9]*: 0100007F:$hexport 00000000:0000 0A" /proc/net/tcp ||
    fail "the simulator does not listen on 127.0.0.1:$port only"
! grep -q "^ *[0-9]*: 00000000:$hexport 00000000:0000 0A" /proc/net/tcp ||
    fail "the simulator listens on every address"
echo "run_security: ok"
