# net_proxy.sh - proxies from the environment, with tinyproxy (issue #17 point 9):
#   - HTTPS through a proxy goes in a CONNECT tunnel to nginx (TLS + HTTP/2, a CA made
#     here): every image answered, the proxy saw CONNECTs and never the key;
#   - NO_PROXY naming the host: the proxy sees nothing;
#   - http_proxy set and a plain-http loopback simulator: the requests bypass the proxy
#     (its log stays empty; the simulator got them), as they do for https://127.0.0.1;
#   - plain http to a host that is not loopback through a proxy is refused (exit 2) unless
#     --allow-http, the message naming the proxy without its user:password.
# Runs inside its own network and mount namespace (unshare -rnm): only a loopback
# interface, and an /etc/hosts mapping a test name to 127.0.0.1, so no DNS query and no
# packet leaves the machine.
if [ -z "${VB_NET_NS:-}" ]; then
    for tool in /usr/sbin/nginx tinyproxy unshare; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            bash "$VB_SRC/scripts/install-deps.sh" >/dev/null 2>&1 || true
            command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
        fi
    done
    exec env VB_NET_NS=1 unshare -rnm bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
NET_PIDS_VAR=VB_PIDS
source "$(dirname "$0")/net_lib.inc"

ip link set lo up
printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$NET_TEST_NAME" >"$TMP/hosts"
printf 'nameserver 127.0.0.1\n' >"$TMP/resolv.conf"
mount --bind "$TMP/hosts" /etc/hosts
mount --bind "$TMP/resolv.conf" /etc/resolv.conf

export OPENAI_API_KEY="sk-proxy-test-$RANDOM$RANDOM-Kq"
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR http_proxy HTTP_PROXY https_proxy HTTPS_PROXY \
    all_proxy ALL_PROXY no_proxy NO_PROXY
make_ca "$TMP/pki"
start_sim --key "$OPENAI_API_KEY"
SIM_HOSTPORT=${SIM_URL#http://}
SIM_HOSTPORT=${SIM_HOSTPORT%%/*}
SIM_PORT=${SIM_HOSTPORT#*:}
start_nginx_tls "$TMP/nginx" "$TMP/pki" "$SIM_HOSTPORT"
start_tinyproxy "$TMP/proxy"
PROXY="http://127.0.0.1:$PROXY_PORT"
NAMED_URL="https://$NET_TEST_NAME:$NGINX_PORT/v1"
mkdir -p "$TMP/in"
gen_images "$TMP/in" 30 --seed 81 --min-side 32 --max-side 64

# vbrun NAME [args...]: sets status; output in $TMP/NAME.{jsonl,err}
vbrun() {
    local name=$1
    shift
    status=0
    "$VB_BIN" run --no-journal --no-cache -q -c 8 -o "$TMP/$name.jsonl" "$@" "$TMP/in" \
        2>"$TMP/$name.err" || status=$?
}
ok_lines() { grep -c '"status":"ok"' "$1" || true; }
proxy_requests() { grep -c "Request (file descriptor" "$PROXY_LOG" || true; }

# --- HTTPS through the proxy: a CONNECT tunnel; the key only inside it ---
https_proxy=$PROXY vbrun connect --base-url "$NAMED_URL" --ca-cert "$TMP/pki/ca.pem"
[ "$status" -eq 0 ] && [ "$(ok_lines "$TMP/connect.jsonl")" -eq 30 ] ||
    { cat "$TMP/connect.err"; fail "https through the proxy: exit $status"; }
grep -q "CONNECT $NET_TEST_NAME:$NGINX_PORT" "$PROXY_LOG" ||
    { cat "$PROXY_LOG"; fail "the proxy saw no CONNECT"; }
! grep -qF "$OPENAI_API_KEY" "$PROXY_LOG" || fail "the proxy's log shows the key"
! grep -q "POST" "$PROXY_LOG" || fail "the proxy saw a request outside the tunnel"

# --- NO_PROXY naming the host: straight to it ---
before=$(proxy_requests)
HTTPS_PROXY=$PROXY NO_PROXY="example.org,.vbtest.test" vbrun noproxy --base-url "$NAMED_URL" \
    --ca-cert "$TMP/pki/ca.pem"
[ "$status" -eq 0 ] && [ "$(ok_lines "$TMP/noproxy.jsonl")" -eq 30 ] ||
    { cat "$TMP/noproxy.err"; fail "NO_PROXY: exit $status"; }
[ "$(proxy_requests)" -eq "$before" ] || fail "NO_PROXY names the host, yet the proxy was used"

# --- loopback targets bypass every proxy: plain http (the key would be in clear) and
#     https ---
before=$(proxy_requests)
sim_before=$(sim_stat responses.200)
http_proxy=$PROXY all_proxy=$PROXY vbrun loop_http --base-url "$SIM_URL"
[ "$status" -eq 0 ] && [ "$(ok_lines "$TMP/loop_http.jsonl")" -eq 30 ] ||
    { cat "$TMP/loop_http.err"; fail "http://127.0.0.1 with http_proxy: exit $status"; }
http_proxy=$PROXY vbrun loop_localhost --base-url "http://localhost:$SIM_PORT/v1"
[ "$status" -eq 0 ] && [ "$(ok_lines "$TMP/loop_localhost.jsonl")" -eq 30 ] ||
    { cat "$TMP/loop_localhost.err"; fail "http://localhost with http_proxy: exit $status"; }
https_proxy=$PROXY ALL_PROXY=$PROXY vbrun loop_https --base-url "$NGINX_URL" \
    --ca-cert "$TMP/pki/ca.pem"
[ "$status" -eq 0 ] || { cat "$TMP/loop_https.err"; fail "https://127.0.0.1 with https_proxy"; }
[ "$(proxy_requests)" -eq "$before" ] ||
    { tail "$PROXY_LOG"; fail "a loopback target went through the proxy"; }
[ "$(($(sim_stat responses.200) - sim_before))" -ge 90 ] || fail "the simulator did not get them"

# --- plain http to a name that is not loopback, through a proxy: refused at start-up,
#     naming the proxy (not its password); --allow-http lets it go ---
before=$(proxy_requests)
http_proxy="http://bob:pr0xy-pw@127.0.0.1:$PROXY_PORT" vbrun plain \
    --base-url "http://$NET_TEST_NAME:$SIM_PORT/v1"
[ "$status" -eq 2 ] || { cat "$TMP/plain.err"; fail "plain http through a proxy: exit $status"; }
grep -q "through the proxy 127.0.0.1:$PROXY_PORT (from http_proxy)" "$TMP/plain.err" ||
    { cat "$TMP/plain.err"; fail "plain http through a proxy: the proxy is not named"; }
grep -q -- "--allow-http" "$TMP/plain.err" || fail "plain http: no hint of --allow-http"
! grep -qE "pr0xy-pw|bob" "$TMP/plain.err" || fail "the proxy's password is shown"
[ "$(proxy_requests)" -eq "$before" ] || fail "a refused run still sent through the proxy"
http_proxy=$PROXY vbrun plain_allowed --allow-http --base-url "http://$NET_TEST_NAME:$SIM_PORT/v1"
[ "$status" -eq 0 ] && [ "$(ok_lines "$TMP/plain_allowed.jsonl")" -eq 30 ] ||
    { cat "$TMP/plain_allowed.err"; fail "--allow-http through the proxy: exit $status"; }
[ "$(proxy_requests)" -gt "$before" ] || fail "--allow-http: the proxy was not used"
echo "net_proxy: ok"
