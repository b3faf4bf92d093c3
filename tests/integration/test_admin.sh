#!/usr/bin/env bash
# The admin API end to end: the daemon with the bybit module against
# bybit-sim, driven with curl. Subscriptions (create, list + filters, get,
# shared topics, cancel, by service, 409, every 400 code, 404, malformed
# id), the exchange seeing exactly one subscribe/unsubscribe per topic, a
# refused topic shown as failed, 401 variants, malformed/oversized bodies
# and a slow client while others are served, restart with the file store,
# /health going 503 while the exchange is away and back, /metrics through
# promtool, /openapi.json.
. "$(dirname "$0")/lib.sh"
t_tmpdir
echo "admin API"
cd "$T"

for tool in curl jq; do
    command -v $tool >/dev/null || {
        echo "  $tool is not installed"
        echo "0 passed, 1 failed"
        exit 1
    }
done
have_bybit() {
    local d
    for d in ${WSGW_MODULE_PATH//:/ }; do
        for f in "$d/bybit.so" "$d/bybit/bybit.so" "$d/bybit/.libs/bybit.so"; do
            [ -f "$f" ] && return 0
        done
    done
    return 1
}
[ -x "$SIM_BIN" ] && have_bybit || {
    echo "  needs tests/sim/bybit-sim and the bybit module (make)"
    echo "0 passed, 1 failed"
    exit 1
}

KEY=test-key-$RANDOM$RANDOM
KEY2=second-key-$RANDOM
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
sim_start || exit 1

cat >"$T/wsgw.yaml" <<YAML
log: { level: info, format: text }
daemon: { state_dir: $T/state, drain_timeout: 2s }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    private_url: $SIM_WS/v5/private
    health_window: 2s
    backoff_min: 200ms
    backoff_max: 500ms
    ping_interval: 1s
sinks:
  - { name: out, module: file, path: $T/events.jsonl }
services:
  - name: admin
    module: http_admin
    listen: ["127.0.0.1:$PORT"]
    api_keys: ["$KEY", "", "$KEY2"]
    read_timeout: 2s
routes:
  - { from: bybit, classes: all, to: [out] }
YAML

start_daemon() {
    daemon_start "$T/wsgw.yaml"
    wait_for 10 curl -sf "$BASE/openapi.json" -o /dev/null
}

# api METHOD PATH [BODY]: status code on stdout, body in $T/body.
api() {
    local m=$1 p=$2
    shift 2
    curl -s -o "$T/body" -w '%{http_code}' -X "$m" -H "X-API-Key: $KEY" \
        -H 'Content-Type: application/json' ${1:+--data-binary "$1"} \
        "$BASE$p"
}

# expect NAME STATUS CODE METHOD PATH [BODY]: status and error code.
expect() {
    local name=$1 st=$2 code=$3
    shift 3
    local got
    got=$(api "$@")
    local gc
    gc=$(jq -r '.code // ""' "$T/body" 2>/dev/null)
    if [ "$got" = "$st" ] && [ "$gc" = "$code" ]; then
        ok "$name"
    else
        fail "$name" "got $got $gc: $(head -c 200 "$T/body")"
    fi
}

# Topics the simulator was asked to (un)subscribe, over all connections.
sim_ops() {
    curl -s "$SIM_CTL/clients" |
        jq -r --arg op "$1" '.clients[].log[] | select(.op == $op) |
                             .args[]?' 2>/dev/null
}
sim_count() { sim_ops "$1" | grep -c -x -F "$2"; }
sim_has() { [ "$(sim_count "$1" "$2")" -ge "${3:-1}" ]; }

jqt() { jq -e "$@" >/dev/null; }

sub_field() { # sub_field ID FIELD
    api GET "/api/v1/subscriptions/$1" >/dev/null
    jq -r ".$2" "$T/body"
}
sub_status_is() { [ "$(sub_field "$1" status)" = "$2" ]; }

check "the daemon starts and serves" start_daemon

# ---- auth --------------------------------------------------------------
code=$(curl -s -o "$T/body" -w '%{http_code}' "$BASE/api/v1/subscriptions")
check "no key: 401 UNAUTHORIZED" test "$code" = 401 -a \
    "$(jq -r .code "$T/body")" = UNAUTHORIZED
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-API-Key: wrong' \
    "$BASE/api/v1/subscriptions")
check "wrong key in the header: 401" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$BASE/api/v1/subscriptions?api_key=wrong")
check "wrong key in the query: 401" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-API-Key: ' \
    "$BASE/api/v1/subscriptions")
check "empty key: 401" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$BASE/api/v1/subscriptions?api_key=$KEY")
check "right key in the query: 200" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY2" \
    "$BASE/api/v1/subscriptions")
check "the second configured key works" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health")
check "/health needs no key" test "$code" = 200 -o "$code" = 503
check "every answer has X-Trace-Id" bash -c \
    "curl -si '$BASE/health' | grep -qi '^X-Trace-Id: [0-9a-f]\{32\}'"
check "a sane client X-Trace-Id is kept" bash -c \
    "curl -si -H 'X-Trace-Id: my-trace-42' '$BASE/health' |
     grep -qi '^X-Trace-Id: my-trace-42'"

# ---- create, share, list -----------------------------------------------
st=$(api POST /api/v1/subscriptions \
    '{"channel_type":"trades","symbol":"BTCUSDT","requesting_service":"svc-a"}')
A_TRADES=$(jq -r .id "$T/body")
check "create: 201 with an id" test "$st" = 201 -a -n "$A_TRADES"
check "the simulator receives the subscribe" \
    wait_for 10 sim_has subscribe publicTrade.BTCUSDT
check "the ack makes it active" wait_for 10 sub_status_is "$A_TRADES" active

st=$(api POST /api/v1/subscriptions \
    '{"channel_type":"trades","symbol":"BTCUSDT","requesting_service":"svc-b"}')
B_TRADES=$(jq -r .id "$T/body")
check "a second service on the same topic: 201" test "$st" = 201
check "... shares the exchange subscription (status active at once)" \
    test "$(jq -r .status "$T/body")" = active
sleep 0.5
check "... and the simulator got one subscribe only" \
    test "$(sim_count subscribe publicTrade.BTCUSDT)" = 1
expect "the same service again: 409" 409 SUBSCRIPTION_EXISTS \
    POST /api/v1/subscriptions \
    '{"channel_type":"trades","symbol":"BTCUSDT","requesting_service":"svc-a"}'
st=$(api POST /api/v1/subscriptions \
    '{"channel_type":"ticker","symbol":"ETHUSDT","requesting_service":"svc-a"}')
A_TICKER=$(jq -r .id "$T/body")
check "create a ticker: 201" test "$st" = 201

st=$(api GET /api/v1/subscriptions)
check "list: 200, total 3" test "$st" = 200 -a "$(jq .total "$T/body")" = 3
api GET "/api/v1/subscriptions?requesting_service=svc-a" >/dev/null
check "filter requesting_service" test "$(jq .total "$T/body")" = 2
api GET "/api/v1/subscriptions?channel_type=ticker" >/dev/null
check "filter channel_type" test "$(jq -r '.subscriptions[0].id' "$T/body")" \
    = "$A_TICKER" -a "$(jq .total "$T/body")" = 1
api GET "/api/v1/subscriptions?is_active=true" >/dev/null
check "filter is_active=true" test "$(jq .total "$T/body")" = 3
api GET "/api/v1/subscriptions?is_active=false" >/dev/null
check "filter is_active=false" test "$(jq .total "$T/body")" = 0
expect "filter is_active=maybe: 400" 400 INVALID_PARAMETER \
    GET "/api/v1/subscriptions?is_active=maybe"
st=$(api GET "/api/v1/subscriptions/$A_TRADES")
check "get one: 200 with the API.md fields" test "$st" = 200 -a \
    "$(jq -r '[.id, .channel_type, .symbol, .topic, .requesting_service,
               .is_active, .category, .status] | join(" ")' "$T/body")" = \
    "$A_TRADES trades BTCUSDT publicTrade.BTCUSDT svc-a true linear active"
check "... with created_at, updated_at, last_event_at" \
    jqt 'has("created_at") and has("updated_at") and has("last_event_at")' \
    "$T/body"

# ---- bad input: each 400 code, 404, malformed id -----------------------
expect "malformed JSON: 400 INVALID_JSON" 400 INVALID_JSON \
    POST /api/v1/subscriptions '{"channel_type": "trades",'
expect "unknown channel: 400 INVALID_CHANNEL_TYPE" 400 INVALID_CHANNEL_TYPE \
    POST /api/v1/subscriptions \
    '{"channel_type":"weather","symbol":"BTCUSDT","requesting_service":"s"}'
expect "no symbol: 400 MISSING_SYMBOL" 400 MISSING_SYMBOL \
    POST /api/v1/subscriptions \
    '{"channel_type":"trades","requesting_service":"s"}'
expect "symbol on an account channel: 400 UNEXPECTED_SYMBOL" 400 \
    UNEXPECTED_SYMBOL POST /api/v1/subscriptions \
    '{"channel_type":"order","symbol":"BTCUSDT","requesting_service":"s"}'
expect "bad symbol: 400 INVALID_SYMBOL" 400 INVALID_SYMBOL \
    POST /api/v1/subscriptions \
    '{"channel_type":"trades","symbol":"btc usdt","requesting_service":"s"}'
expect "topic of another channel: 400 INVALID_TOPIC" 400 INVALID_TOPIC \
    POST /api/v1/subscriptions \
    '{"channel_type":"trades","topic":"tickers.BTCUSDT","requesting_service":"s"}'
expect "no requesting_service: 400 INVALID_PARAMETER" 400 INVALID_PARAMETER \
    POST /api/v1/subscriptions '{"channel_type":"trades","symbol":"BTCUSDT"}'
expect "malformed id: 400" 400 INVALID_PARAMETER \
    GET /api/v1/subscriptions/12345
expect "unknown id: 404" 404 NOT_FOUND \
    GET /api/v1/subscriptions/00000000-0000-4000-8000-000000000000
expect "unknown path: 404" 404 NOT_FOUND GET /api/v1/nothing
expect "wrong method: 405" 405 METHOD_NOT_ALLOWED PUT /api/v1/subscriptions
check "the error shape carries the detail copy" \
    jqt '.detail.code == .code and .detail.error == .error and
           (.details | type) == "object"' "$T/body"
api GET /api/v1/subscriptions >/dev/null
check "bad requests changed nothing" test "$(jq .total "$T/body")" = 3

# ---- transport limits while others are served --------------------------
head -c 100000 /dev/zero | tr '\0' 'x' >"$T/big"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-API-Key: $KEY" \
    --data-binary @"$T/big" "$BASE/api/v1/subscriptions")
check "oversized body: 413 in JSON" test "$code" = 413 -a \
    "$(jq -r .code "$T/body")" = PAYLOAD_TOO_LARGE

# A slowloris: half a request, then silence.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&3
t0=$SECONDS
code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$BASE/health")
check "a slow client does not block others" test "$code" = 200 -o \
    "$code" = 503
code=$(api POST /api/v1/subscriptions '{"broken":')
check "... malformed body meanwhile: 400" test "$code" = 400
# evhttp closes the silent connection after read_timeout (2 s).
if timeout 10 cat <&3 >/dev/null; then
    check "the slow client is cut off by read_timeout" test $((SECONDS - t0)) -le 8
else
    fail "the slow client is cut off by read_timeout" "still open after 10 s"
fi
exec 3<&- 3>&-

# ---- cancel: shared topics ---------------------------------------------
st=$(api DELETE "/api/v1/subscriptions/$A_TRADES")
check "delete one of two sharing a topic: 200" test "$st" = 200 -a \
    "$(jq -r .subscription_id "$T/body")" = "$A_TRADES"
sleep 1
check "... the simulator receives no unsubscribe" \
    test "$(sim_count unsubscribe publicTrade.BTCUSDT)" = 0
check "... the record is inactive" test "$(sub_field "$A_TRADES" is_active)" \
    = false
st=$(api DELETE "/api/v1/subscriptions/$B_TRADES")
check "delete the other: 200" test "$st" = 200
check "... the simulator receives the unsubscribe" \
    wait_for 10 sim_has unsubscribe publicTrade.BTCUSDT
st=$(api DELETE "/api/v1/subscriptions/by-service/svc-a")
check "delete by service: 200, 1 cancelled" test "$st" = 200 -a \
    "$(jq .cancelled_count "$T/body")" = 1
check "... message as the Python service wrote it" test \
    "$(jq -r .message "$T/body")" = "Cancelled 1 subscriptions for service 'svc-a'"
check "... its topic is unsubscribed" \
    wait_for 10 sim_has unsubscribe tickers.ETHUSDT

# ---- refused by the exchange -------------------------------------------
curl -s -X POST "$SIM_CTL/refuse" -d \
    '{"next":"subscribe","ret_msg":"error:handler not found,topic:publicTrade.SOLUSDT"}' \
    >/dev/null
st=$(api POST /api/v1/subscriptions \
    '{"channel_type":"trades","symbol":"SOLUSDT","requesting_service":"svc-c"}')
C_REFUSED=$(jq -r .id "$T/body")
check "a topic the exchange refuses: 201 pending" test "$st" = 201
check "... becomes failed" wait_for 10 sub_status_is "$C_REFUSED" failed
check "... with the exchange's reason" bash -c \
    "[ \"\$(curl -s -H 'X-API-Key: $KEY' \
       '$BASE/api/v1/subscriptions/$C_REFUSED' | jq -r .status_reason)\" = \
       'error:handler not found,topic:publicTrade.SOLUSDT' ]"

# ---- restart with the file store ---------------------------------------
st=$(api POST /api/v1/subscriptions \
    '{"channel_type":"ticker","symbol":"BTCUSDT","requesting_service":"svc-d"}')
D_TICKER=$(jq -r .id "$T/body")
check "wait for the ticker to be active" \
    wait_for 10 sub_status_is "$D_TICKER" active
api GET /api/v1/subscriptions >/dev/null
jq -S '[.subscriptions[] | {id, requesting_service, topic, is_active}]' \
    "$T/body" >"$T/before.json"
check "SIGTERM exits 0" daemon_stop
check "the state file was written" \
    jqt '.subscriptions | length == 5' "$T/state/subscriptions.json"
curl -s -X POST "$SIM_CTL/reset-log" >/dev/null
check "the daemon starts again" start_daemon
api GET /api/v1/subscriptions >/dev/null
jq -S '[.subscriptions[] | {id, requesting_service, topic, is_active}]' \
    "$T/body" >"$T/after.json"
check "the subscriptions survived the restart" cmp -s "$T/before.json" \
    "$T/after.json"
check "... and the active ones are subscribed again" \
    wait_for 10 sim_has subscribe tickers.BTCUSDT
check "... and become active" wait_for 10 sub_status_is "$D_TICKER" active

# ---- health follows the exchange ---------------------------------------
check "healthy while connected" wait_for 10 bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$BASE/health')\" = 200 ]"
curl -s "$BASE/health" >"$T/health.json"
check "/health has the dashboard fields" jqt '
    .status == "healthy" and .service == "ws-gateway" and
    .websocket_connected == true and (.websocket_status | type) == "string" and
    (.database_connected | type) == "boolean" and
    (.queue_connected | type) == "boolean" and
    .active_subscriptions >= 1 and has("last_heartbeat_at") and
    (.version | type) == "string"' "$T/health.json"
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
check "503 unhealthy once the exchange is gone past health_window" \
    wait_for 15 bash -c \
    "[ \"\$(curl -s -o '$T/h.json' -w '%{http_code}' '$BASE/health')\" = 503 ]"
check "... status unhealthy, websocket_connected false" jqt \
    '.status == "unhealthy" and .websocket_connected == false' "$T/h.json"
"$SIM_BIN" --port "$SIM_PORT" --control-port 0 --data-dir "$DATA/bybit" \
    >"$T/sim2.out" 2>"$T/sim2.err" &
SIM_PID=$!
T_PIDS+=("$SIM_PID")
check "healthy again once the exchange is back" wait_for 20 bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$BASE/health')\" = 200 ]"

# ---- metrics, status, openapi ------------------------------------------
curl -s "$BASE/metrics" >"$T/metrics.txt"
check "/metrics is public and Prometheus text" grep -q \
    '^wsgw_subscriptions{status="active"}' "$T/metrics.txt"
check "... counts HTTP requests by status" grep -q \
    '^wsgw_http_requests_total{status="200"} [1-9]' "$T/metrics.txt"
if command -v promtool >/dev/null; then
    check "... promtool check metrics accepts it" \
        bash -c "promtool check metrics <'$T/metrics.txt'"
else
    fail "promtool check metrics" "promtool not installed"
fi
st=$(api GET /api/v1/status)
check "/api/v1/status: connections, modules, sinks, routes" test "$st" = 200
check "... with what an operator needs" jqt '
    (.connections.bybit | type) == "object" and
    ([.modules[].name] | index("http_admin")) != null and
    (.sinks.out.queue_depth | type) == "number" and
    (.routes | length) == 1' "$T/body"
curl -s "$BASE/openapi.json" >"$T/openapi.json"
check "/openapi.json: public, OpenAPI 3.1, every endpoint" jqt '
    .openapi == "3.1.0" and .info.title == "WebSocket Gateway API" and
    .paths["/api/v1/subscriptions"].post and
    .paths["/api/v1/subscriptions"].get and
    .paths["/api/v1/subscriptions/{id}"].get and
    .paths["/api/v1/subscriptions/{id}"].delete and
    .paths["/api/v1/subscriptions/by-service/{service_name}"].delete and
    .paths["/health"].get and .paths["/metrics"].get' "$T/openapi.json"

# ---- logs ---------------------------------------------------------------
check "one access log line per request with status and duration" grep -q \
    'GET /api/v1/subscriptions 200 [0-9.]*ms' "$T/wsgw.log"
check "the API key is never logged" bash -c "! grep -q -F '$KEY' '$T/wsgw.log'"

check "the daemon stops cleanly (exit 0)" daemon_stop
check "no sanitizer reports in the daemon's log" bash -c \
    "! grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/wsgw.log'"
t_summary
