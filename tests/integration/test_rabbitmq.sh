#!/usr/bin/env bash
# The rabbitmq sink against a real RabbitMQ node (private, free ports),
# the real daemon and bybit-sim:
#   1. topology and queue arguments; a stream arrives in order with its
#      envelope, properties and headers; two consumer groups each get every
#      event; a routing-key binding gets only its symbol; the password
#      appears in no log and no status
#   2. the broker stopped (stop_app) for several seconds mid-stream and
#      started again: every sequence number arrives, in order, duplicates
#      no more than the republished counter
#   3. a queue pre-declared with other arguments: the clear error, the
#      daemon keeps retrying, and recovers once the queue is gone
#   4. retention: a small max_length keeps the newest messages
#   5. amqps: a TLS listener with a test CA; verification of the peer and
#      of the host name are on unless turned off
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib/services.sh"
t_tmpdir
echo "rabbitmq sink"

RMQ_CHECK=$WSGW_BUILD/modules/rabbitmq/tools/rmq-check
if [ ! -x "$RMQ_CHECK" ]; then
    make -s -C "$WSGW_BUILD" modules/rabbitmq/tools/rmq-check >/dev/null 2>&1
fi
for f in "$RMQ_CHECK" "$SIM_BIN" "$WSGW_BIN" \
    "$WSGW_MODULE_PATH/rabbitmq/.libs/rabbitmq.so" \
    "$WSGW_MODULE_PATH/bybit/.libs/bybit.so"; do
    if [ ! -e "$f" ]; then
        fail "prerequisite $f is built (run make && make check first)"
        t_summary
        exit 1
    fi
done
HAVE_ADMIN=0
[ -e "$WSGW_MODULE_PATH/http_admin/.libs/http_admin.so" ] && HAVE_ADMIN=1

TLS_CTL=
rmq_cleanup() {
    svc_rabbitmq_stop
    [ -n "$TLS_CTL" ] && $TLS_CTL stop >/dev/null 2>&1
    t_cleanup
}
trap rmq_cleanup EXIT

if ! svc_rabbitmq_start "$T/rabbitmq" >"$T/rabbitmq.out" 2>&1; then
    cat "$T/rabbitmq.out"
    fail "a private RabbitMQ node starts"
    t_summary
    exit 1
fi
ok "a private RabbitMQ node runs on 127.0.0.1:$AMQP_PORT"
GUEST=amqp://guest:guest@127.0.0.1:$AMQP_PORT/

# A user whose password must never show up in logs or status.
SECRET_PW='Pw-9f3k-not-for-logs'
$RABBITMQCTL add_user wsgw-it "$SECRET_PW" >/dev/null 2>&1
$RABBITMQCTL set_permissions -p / wsgw-it '.*' '.*' '.*' >/dev/null 2>&1
SECRET_URL="amqp://wsgw-it:$SECRET_PW@127.0.0.1:$AMQP_PORT/"

# ---- helpers ----------------------------------------------------------

# Messages in queue $1 (empty if the queue does not exist).
qcount() {
    $RABBITMQCTL list_queues -q name messages 2>/dev/null |
        awk -v q="$1" '$1 == q { print $2 }'
}

# The daemon of the current scenario still runs.
alive() {
    kill -0 "$WSGW_PID" 2>/dev/null
}

# wait_count QUEUE N SECONDS: until QUEUE holds at least N messages
# (gives up early if the daemon died).
wait_count() {
    local end=$((SECONDS + $3)) n
    while [ $SECONDS -lt $end ] && alive; do
        n=$(qcount "$1")
        [ -n "$n" ] && [ "$n" -ge "$2" ] && return 0
        sleep 0.5
    done
    return 1
}

# wait_log FILE PATTERN SECONDS
wait_log() {
    local end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ] && alive; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

# jqok FILTER FILE: the filter holds for the file's lines as one array.
jqok() {
    jq -e -s "$1" "$2" >/dev/null
}

# consume QUEUE FILE: every message of QUEUE as JSON lines into FILE.
consume() {
    "$RMQ_CHECK" "$GUEST" consume "$1" --idle-ms 1500 --max-ms 120000 \
        >"$2" 2>>"$T/rmq-check.err"
}

# The simulator's sequence number of each message (load-mode tag
# "SEQ-NS": the trade id "i", or "_sim" for other events).
SEQ='(.body.payload.i // .body.payload._sim) | split("-")[0] | tonumber'

# seq_report FILE SYMBOL: "lines unique dups disorder first last" of the
# symbol's sequence, after dropping repeats (a repeat is a message seen
# before: published again after a lost confirm).
seq_report() {
    jq -r --arg s "$2" "select(.body.payload.s == \$s) | $SEQ" "$1" |
        awk 'BEGIN { next_ = 0 }
             { if ($1 in seen) { dup++; next }
               seen[$1] = 1; u++
               if (u == 1) first = $1
               else if ($1 != next_) bad++
               next_ = $1 + 1; last = $1 }
             END { printf "%d %d %d %d %d %d\n", NR, u, dup, bad, first, last }'
}

# start_daemon NAME CONF: run the daemon, log in $T/NAME.log.
start_daemon() {
    "$WSGW_BIN" -c "$2" >"$T/$1.out" 2>"$T/$1.log" &
    WSGW_PID=$!
    T_PIDS+=("$WSGW_PID")
}

stop_daemon() {
    kill -TERM "$WSGW_PID" 2>/dev/null
    local rc=0
    wait "$WSGW_PID" || rc=$?
    return $rc
}

admin_block() {
    [ "$HAVE_ADMIN" = 1 ] || return 0
    cat <<YAML
services:
  - { name: admin, module: http_admin, listen: ["127.0.0.1:$ADMIN_PORT"], api_keys: ["it-key"] }
YAML
}

# metric NAME: the value of NAME{sink="mq"} from /metrics.
metric() {
    curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" |
        awk -v m="$1{sink=\"mq\"}" '$1 == m { print $2 }'
}

# ---- 1. topology, order, properties, fan-out, routing keys -------------

sim_start --rate 200 --count 300
ADMIN_PORT=$(free_port)
cat >"$T/main.yaml" <<YAML
log: { level: info }
daemon: { state_dir: $T/state1, drain_timeout: 10s }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
      - { channel: trades, category: linear, symbol: ETHUSDT }
      - { channel: ticker, category: linear, symbol: BTCUSDT }
sinks:
  - name: mq
    module: rabbitmq
    url: "$SECRET_URL"
    consumers:
      - { name: risk-service, classes: [trades, tickers] }
      - { name: audit, classes: all }
      - { name: btc, classes: [trades], bind: "trades.*.BTCUSDT" }
$(admin_block)
routes:
  - { from: bybit, classes: all, to: [mq] }
YAML
start_daemon main "$T/main.yaml"

check "the sink connects" wait_log "$T/main.log" '"connected to amqp://wsgw-it@127.0.0.1' 20
check "600 trades reach ws-gateway.trades" wait_count ws-gateway.trades 600 40
wait_count ws-gateway.trades.audit 600 10
if [ "$HAVE_ADMIN" = 1 ]; then
    curl -s -H "X-API-Key: it-key" "http://127.0.0.1:$ADMIN_PORT/api/v1/status" >"$T/status.json"
    check "status shows the sink connected, the url without password" \
        grep -q '"url": *"amqp://wsgw-it@127.0.0.1:'"$AMQP_PORT"'/"' "$T/status.json"
    check "/metrics counts confirmed messages" \
        bash -c "[ \"\$(curl -s http://127.0.0.1:$ADMIN_PORT/metrics | awk '\$1 == \"wsgw_rabbitmq_confirmed_total{sink=\\\"mq\\\"}\" {print \$2}')\" -ge 600 ]"
fi
sleep 1
stop_daemon
check "the daemon stops cleanly (exit 0)" test $? = 0

$RABBITMQCTL list_queues -q name durable arguments >"$T/queues.txt" 2>/dev/null
args_ok() {
    grep -P "^$1\ttrue\t" "$T/queues.txt" | grep -q '{"x-message-ttl",86400000}' &&
        grep -P "^$1\t" "$T/queues.txt" | grep -q '{"x-max-length",100000}' &&
        grep -P "^$1\t" "$T/queues.txt" | grep -q '{"x-overflow","drop-head"}'
}
check "ws-gateway.trades is durable with TTL 24h, max-length 100000, drop-head" \
    args_ok ws-gateway.trades
check "every class has its queue (ws-gateway.order_status, .balances, ...)" \
    bash -c "for c in trades tickers orderbook order_status balances positions executions klines liquidations other; do grep -qP \"^ws-gateway.\$c\ttrue\" '$T/queues.txt' || exit 1; done"
check "consumer group queues: ws-gateway.trades.risk-service, ws-gateway.tickers.risk-service" \
    bash -c "grep -qP '^ws-gateway.trades.risk-service\ttrue' '$T/queues.txt' && grep -qP '^ws-gateway.tickers.risk-service\ttrue' '$T/queues.txt'"
check "a group without tickers gets no tickers queue" \
    bash -c "! grep -qP '^ws-gateway.tickers.btc\t' '$T/queues.txt'"
check "consumer group queues carry the same arguments" \
    args_ok ws-gateway.trades.risk-service
$RABBITMQCTL list_exchanges -q name type durable >"$T/exchanges.txt" 2>/dev/null
check "each class has a durable topic exchange" \
    grep -qP '^ws-gateway.trades\ttopic\ttrue' "$T/exchanges.txt"

consume ws-gateway.trades "$T/trades.jsonl"
for sym in BTCUSDT ETHUSDT; do
    read -r n u d bad first last <<<"$(seq_report "$T/trades.jsonl" $sym)"
    if [ "$n" = 300 ] && [ "$u" = 300 ] && [ "$bad" = 0 ] && [ "$first" = 1 ] && [ "$last" = 300 ]; then
        ok "ws-gateway.trades: $sym trades 1..300 once each, in order"
    else
        fail "ws-gateway.trades: $sym in order" "lines $n unique $u dups $d disorder $bad first $first last $last"
    fi
done
check "every message carries its envelope and properties" jqok '
    length == 600 and all(.[];
      .exchange == "ws-gateway.trades" and
      .routing_key == "trades.linear.\(.body.payload.s)" and
      .content_type == "application/json" and .delivery_mode == 2 and
      .message_id == .body.event_id and (.message_id | test("^[0-9a-f-]{36}$")) and
      .type == "trade" and .body.event_type == "trade" and
      .headers.event_type == "trade" and
      .headers.topic == .body.topic and .body.topic == "publicTrade.\(.body.payload.s)" and
      .headers.trace_id == .body.trace_id and (.body.trace_id | length) > 0 and
      .timestamp == (.body.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate) and
      (.body.received_at | test("Z$")) and (.body.payload | has("p")))' \
    "$T/trades.jsonl"

consume ws-gateway.trades.risk-service "$T/risk.jsonl"
consume ws-gateway.trades.audit "$T/audit.jsonl"
ids() { jq -r .message_id "$1"; }
check "consumer group risk-service gets every trade, in the same order" \
    cmp -s <(ids "$T/trades.jsonl") <(ids "$T/risk.jsonl")
check "consumer group audit gets every trade too" \
    cmp -s <(ids "$T/trades.jsonl") <(ids "$T/audit.jsonl")

consume ws-gateway.trades.btc "$T/btc.jsonl"
check "the binding trades.*.BTCUSDT gets the 300 BTCUSDT trades only" jqok \
    'length == 300 and all(.[]; .routing_key == "trades.linear.BTCUSDT")' "$T/btc.jsonl"

consume ws-gateway.tickers "$T/tickers.jsonl"
check "tickers go to ws-gateway.tickers with key tickers.linear.BTCUSDT" jqok \
    'length > 0 and all(.[]; .routing_key == "tickers.linear.BTCUSDT" and .type == "ticker")' \
    "$T/tickers.jsonl"
check "the password is in no log" bash -c "! grep -rq -- '$SECRET_PW' '$T'/*.log '$T'/*.out '$T'/status.json 2>/dev/null"
kill "$SIM_PID" 2>/dev/null

# ---- 2. broker outage mid-stream --------------------------------------

# 300 trades/s for 15 s; the broker goes away for 5 s after ~3 s.
sim_start --rate 300 --count 4500
ADMIN_PORT=$(free_port)
cat >"$T/outage.yaml" <<YAML
log: { level: info }
daemon: { state_dir: $T/state2, drain_timeout: 20s }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
sinks:
  - name: mq
    module: rabbitmq
    url: "$GUEST"
    exchange_template: "outage.{class}"
    queue_template: "outage.{class}"
    declare_classes: [trades]
    reconnect_min: 200ms
    reconnect_max: 2s
$(admin_block)
routes:
  - { from: bybit, classes: all, to: [mq] }
YAML
start_daemon outage "$T/outage.yaml"
check "stream flows before the outage" wait_count outage.trades 600 30
svc_rabbitmq_outage 5
check "the sink saw the connection go" grep -q 'connection to amqp://guest@127.0.0.1:'"$AMQP_PORT"'/ lost' "$T/outage.log"
check "the sink reconnects after start_app" wait_log "$T/outage.log" 'reconnected to amqp://guest@' 60
check "all 4500 trades arrive" wait_count outage.trades 4500 60
republished=
if [ "$HAVE_ADMIN" = 1 ]; then
    republished=$(metric wsgw_rabbitmq_republished_total)
    reconnects=$(metric wsgw_rabbitmq_reconnects_total)
    check "reconnects are counted" test "${reconnects:-0}" -ge 1
fi
stop_daemon
check "the daemon stops cleanly after the outage (exit 0)" test $? = 0
if [ -z "$republished" ]; then
    # Without the admin API: the log says how many went out again.
    republished=$(sed -n 's/.*reconnected to .*; publishing \([0-9]*\) unconfirmed.*/\1/p' \
        "$T/outage.log" | awk '{ s += $1 } END { print s + 0 }')
fi
consume outage.trades "$T/outage.jsonl"
read -r n u d bad first last <<<"$(seq_report "$T/outage.jsonl" BTCUSDT)"
if [ "$u" = 4500 ] && [ "$bad" = 0 ] && [ "$first" = 1 ] && [ "$last" = 4500 ]; then
    ok "outage: every sequence number 1..4500 arrived, in order"
else
    fail "outage: every sequence number in order" "lines $n unique $u dups $d disorder $bad first $first last $last"
fi
if [ "$d" -le "${republished:-0}" ]; then
    ok "outage: $d duplicates, no more than the $republished republished"
else
    fail "outage: duplicates bounded by republished" "$d duplicates, $republished republished"
fi
kill "$SIM_PID" 2>/dev/null

# ---- 3. a queue declared earlier with other arguments ----------------

# Same TTL and overflow, another max-length: the broker names x-max-length.
"$RMQ_CHECK" "$GUEST" declare conflict.trades x-message-ttl=86400000 \
    x-max-length=10 x-overflow=drop-head 2>>"$T/rmq-check.err"
check "a conflicting queue is pre-declared (x-max-length 10)" \
    bash -c "$RABBITMQCTL list_queues -q name arguments 2>/dev/null | grep -P '^conflict.trades\t' | grep -q 'x-max-length\",10'"
cat >"$T/conflict.yaml" <<YAML
log: { level: info }
daemon: { state_dir: $T/state3, drain_timeout: 2s }
sinks:
  - name: mq
    module: rabbitmq
    url: "$GUEST"
    exchange_template: "conflict.{class}"
    queue_template: "conflict.{class}"
    declare_classes: [trades]
    reconnect_min: 200ms
    reconnect_max: 1s
YAML
start_daemon conflict "$T/conflict.yaml"
check "the log names the queue and the differing argument" wait_log "$T/conflict.log" \
    "cannot declare queue 'conflict.trades'.*inequivalent arg 'x-max-length' for queue 'conflict.trades'" 20
check "the log says how to fix it" grep -q "delete it or set message_ttl, max_length" "$T/conflict.log"
sleep 3
check "the daemon keeps running and retrying" kill -0 "$WSGW_PID"
$RABBITMQCTL delete_queue conflict.trades >/dev/null 2>&1
check "once the queue is gone the sink declares it and connects" \
    wait_log "$T/conflict.log" '"connected to amqp://guest@' 20
check "the queue now has the configured arguments" \
    bash -c "$RABBITMQCTL list_queues -q name arguments 2>/dev/null | grep -P '^conflict.trades\t' | grep -q 'x-max-length\",100000'"
stop_daemon
check "the daemon stops cleanly (exit 0)" test $? = 0

# ---- 4. retention: a small max_length drops the oldest ---------------

sim_start --rate 500 --count 200
cat >"$T/keep.yaml" <<YAML
log: { level: info }
daemon: { state_dir: $T/state4, drain_timeout: 10s }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
sinks:
  - name: mq
    module: rabbitmq
    url: "$GUEST"
    exchange_template: "keep.{class}"
    queue_template: "keep.{class}"
    declare_classes: [trades]
    max_length: 50
    message_ttl: 1h
routes:
  - { from: bybit, classes: all, to: [mq] }
YAML
start_daemon keep "$T/keep.yaml"
wait_log "$T/keep.log" '"connected to amqp' 20
# The queue never holds more than 50; 200 trades at 500/s take 0.4 s.
check "keep.trades fills up to its limit" wait_count keep.trades 50 30
sleep 2
stop_daemon
$RABBITMQCTL list_queues -q name arguments messages >"$T/keep.txt" 2>/dev/null
check "keep.trades has x-max-length 50 and x-message-ttl 1h" \
    bash -c "grep -P '^keep.trades\t' '$T/keep.txt' | grep -q 'x-max-length\",50' && grep -P '^keep.trades\t' '$T/keep.txt' | grep -q 'x-message-ttl\",3600000'"
consume keep.trades "$T/keep.jsonl"
read -r n u d bad first last <<<"$(seq_report "$T/keep.jsonl" BTCUSDT)"
if [ "$n" = 50 ] && [ "$first" = 151 ] && [ "$last" = 200 ] && [ "$bad" = 0 ]; then
    ok "max_length 50 keeps the newest 50 of 200 (151..200, in order)"
else
    fail "retention keeps the newest" "lines $n first $first last $last disorder $bad"
fi

# ---- 5. amqps ----------------------------------------------------------

# A second node with a TLS listener (the services helper starts plain
# nodes only), as SERVICES.md describes, with a certificate for
# "localhost" from a throw-away CA.
svc_rabbitmq_stop
tls_node_start() {
    local d=$T/tls node="wsgwtls$$@localhost" dist
    mkdir -p "$d/mnesia" "$d/log"
    (
        cd "$d" &&
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key \
                -out ca.pem -days 2 -subj "/CN=wsgw test CA" &&
            openssl req -newkey rsa:2048 -nodes -keyout server.key \
                -out server.csr -subj "/CN=localhost" &&
            echo "subjectAltName=DNS:localhost" >ext.cnf &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
                -CAcreateserial -out server.pem -days 2 -extfile ext.cnf &&
            chmod 644 server.key
    ) >"$d/openssl.out" 2>&1 || return 1
    TLS_TCP_PORT=$(free_port)
    TLS_PORT=$(free_port)
    dist=$(free_port)
    echo "[]." >"$d/enabled_plugins"
    cat >"$d/rabbitmq.conf" <<CONF
loopback_users.guest = true
listeners.ssl.default = 127.0.0.1:$TLS_PORT
ssl_options.cacertfile = $d/ca.pem
ssl_options.certfile = $d/server.pem
ssl_options.keyfile = $d/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF
    TLS_CTL="env HOME=$d /usr/lib/rabbitmq/bin/rabbitmqctl -n $node"
    (
        export RABBITMQ_NODENAME=$node RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
            RABBITMQ_NODE_PORT=$TLS_TCP_PORT RABBITMQ_DIST_PORT=$dist \
            RABBITMQ_MNESIA_BASE=$d/mnesia RABBITMQ_LOG_BASE=$d/log \
            RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins \
            RABBITMQ_CONFIG_FILE=$d/rabbitmq ERL_EPMD_ADDRESS=127.0.0.1 HOME=$d
        /usr/lib/rabbitmq/bin/rabbitmq-server -detached
    ) >"$d/start.out" 2>&1 || return 1
    $TLS_CTL wait --timeout 90 "$d/mnesia/$node.pid" >"$d/wait.out" 2>&1
}

# tls_try NAME URL [YAML LINES]: run a sink-only daemon against the TLS
# node for a few seconds; its log is $T/NAME.log.
tls_try() {
    cat >"$T/$1.yaml" <<YAML
log: { level: info }
daemon: { state_dir: $T/state-$1, drain_timeout: 2s }
sinks:
  - name: mq
    module: rabbitmq
    url: "$2"
    declare_classes: [trades]
    reconnect_min: 500ms
${3:-}
YAML
    start_daemon "$1" "$T/$1.yaml"
    wait_log "$T/$1.log" '"connected to\|cannot connect' 20
    stop_daemon || TLS_EXIT_FAIL="$TLS_EXIT_FAIL $1"
}
TLS_EXIT_FAIL=

if tls_node_start; then
    ok "a RabbitMQ node with a TLS listener runs on 127.0.0.1:$TLS_PORT"
    tls_try tls-ok "amqps://guest:guest@localhost:$TLS_PORT/" \
        "    ca_file: $T/tls/ca.pem"
    check "amqps with the CA file connects" \
        grep -q "\"connected to amqps://guest@localhost:$TLS_PORT/" "$T/tls-ok.log"
    tls_try tls-noca "amqps://guest:guest@localhost:$TLS_PORT/"
    check "without the CA file the broker is not trusted" \
        grep -q "SSL peer cert verification failed" "$T/tls-noca.log"
    tls_try tls-host "amqps://guest:guest@127.0.0.1:$TLS_PORT/" \
        "    ca_file: $T/tls/ca.pem"
    check "a certificate for another host name is refused" \
        grep -q "SSL hostname verification failed" "$T/tls-host.log"
    tls_try tls-nohost "amqps://guest:guest@127.0.0.1:$TLS_PORT/" \
        "    ca_file: $T/tls/ca.pem
    verify_hostname: false"
    check "verify_hostname: false accepts it (the CA still checked)" \
        grep -q '"connected to amqps://guest@127.0.0.1' "$T/tls-nohost.log"
    check "every TLS daemon exits 0 (no leak of rabbitmq-c's TLS state)" \
        test -z "$TLS_EXIT_FAIL"
else
    cat "$T/tls/openssl.out" "$T/tls/start.out" "$T/tls/wait.out" 2>/dev/null
    fail "a RabbitMQ node with a TLS listener starts"
fi

t_summary
