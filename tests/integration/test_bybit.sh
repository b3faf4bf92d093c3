#!/usr/bin/env bash
# The bybit source against bybit-sim, through the real daemon with the file
# sink and the admin API:
#   A. every topic family of the samples arrives with the right envelope
#      and untouched payloads, none lost or doubled; REST balance sync.
#   B. pings at the configured interval; an abrupt disconnect is followed
#      by a reconnect (< 30 s) and a full resubscription (< 5 s); a stalled
#      connection is detected and replaced; a topic Bybit refuses is shown
#      as failed while its batch neighbours work; floods of malformed
#      frames of every kind leave the process up and data flowing.
#   C. a wrong API secret is reported (log, status) and retried with a
#      growing backoff, never in a tight loop, never printing the secret.
#   D. without credentials: private channels are refused, sync is 501.
#   E. wss:// and https:// with certificate verification: a server whose
#      CA is given in ca_file works; without it the handshake fails and is
#      retried; tls_verify: false connects and warns.
. "$(dirname "$0")/lib.sh"
t_tmpdir
echo "bybit source"
PY=$(command -v /usr/bin/python3 || command -v python3)
KEY=testkey
SECRET=test-secret-$$
ADMIN_KEY=admin-key-$$

for bin in "$WSGW_BIN" "$SIM_BIN"; do
    if [ ! -x "$bin" ]; then
        fail "$bin is built" "run make first"
        t_summary
        exit 1
    fi
done

# ---- helpers --------------------------------------------------------------

# conf FILE SECRET ADMIN_PORT EVENTS_FILE EXTRA_SOURCE_YAML
conf() {
    local file=$1 secret=$2 port=$3 events=$4 extra=$5
    cat >"$file" <<YAML
log: { level: info, format: text, file: stderr }
daemon: { state_dir: $T/state-$port, drain_timeout: 2s }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    private_url: $SIM_WS/v5/private
    rest_url: ${REST_URL:-http://127.0.0.1:$SIM_PORT}
    api_key: "$KEY"
    api_secret: "$secret"
    ping_interval: 1s
    dead_after: 4s
    backoff_min: 500ms
    backoff_max: 8s
    ack_timeout: 3s
    max_frame: 1MiB
$extra
sinks:
  - { name: out, module: file, path: $events, flush_interval: 100ms }
services:
  - name: admin
    module: http_admin
    listen: ["127.0.0.1:$port"]
    api_keys: ["$ADMIN_KEY"]
routes:
  - { from: bybit, classes: all, to: [out] }
YAML
}

api() { # api METHOD PATH [BODY]: prints the body; HTTP status in $T/code
    local port=$ADMIN_PORT
    curl -s -o "$T/api.out" -w '%{http_code}' -X "$1" \
        -H "X-API-Key: $ADMIN_KEY" -H 'Content-Type: application/json' \
        ${3:+-d "$3"} "http://127.0.0.1:$port$2" >"$T/code"
    cat "$T/api.out"
}

sim() { # sim METHOD PATH [BODY]
    curl -s -X "$1" ${3:+-d "$3"} "$SIM_CTL$2"
}

metric() { # metric 'NAME{LABELS}': the value or 0
    curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" |
        awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }'
}

count_topic() { # count_topic FILE TOPIC: events of a topic in the sink
    grep -c "\"topic\":\"$2\",\"timestamp\"" "$1" 2>/dev/null || true
}

# The checker of phase A: envelope, families, payload bytes vs the
# simulator's templates (the sample rows), counts vs what the sim sent.
cat >"$T/check_events.py" <<'PY'
import json, re, sys, collections
events_file, data_dir, templates_file, stats_file, expect = sys.argv[1:6]
def pairs(p):
    return p  # keep order and duplicates: a list of (key, value)
def load(s):
    return json.loads(s, object_pairs_hook=pairs)
def to_obj(v):
    if isinstance(v, list) and (not v or isinstance(v[0], tuple)):
        return {k: to_obj(x) for k, x in v}
    if isinstance(v, list):
        return [to_obj(x) for x in v]
    return v
errors = []
def err(msg):
    if len(errors) < 30:
        errors.append(msg)
FAM = {"publicTrade": "trade", "tickers": "ticker", "orderbook": "orderbook",
       "kline": "kline", "allLiquidation": "liquidation",
       "liquidation": "liquidation", "order": "order",
       "execution": "execution", "position": "position", "wallet": "balance",
       "insurance": "insurance", "adlAlert": "adlAlert",
       "priceLimit": "priceLimit", "greeks": "greeks",
       "strategy": "strategy"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# template items per family: key order and JSON types of each sample item
def kind(v):
    if isinstance(v, tuple): return "?"
    if isinstance(v, list) and v and isinstance(v[0], tuple): return "object"
    if isinstance(v, list): return "array" if v or True else "array"
    return type(v).__name__
shapes = collections.defaultdict(set)
rows = {}
for t in json.load(open(templates_file)):
    f, row = t["file"], t["row"]
    if (f, row) not in rows:
        rows[(f, row)] = open(data_dir + "/" + f).read().splitlines()[row - 1]
    msg = dict(load(rows[(f, row)]))
    data = msg.get("data")
    fam = t["family"]
    items = [data] if data and isinstance(data[0], tuple) else (data or [])
    if fam == "wallet":
        items = []
        for acct in data:
            shapes["wallet"].add(tuple((k, kind(v)) for k, v in acct))
        continue
    for it in items:
        if isinstance(it, list) and (not it or isinstance(it[0], tuple)):
            shapes[fam].add(tuple((k, kind(v)) for k, v in it))
seen = collections.Counter()
frames = collections.defaultdict(set)  # the events of a frame share a trace
ids = set()
n = 0
for line in open(events_file):
    n += 1
    ev = load(line)
    keys = [k for k, _ in ev]
    if keys != ["event_id", "event_type", "topic", "timestamp",
                "received_at", "trace_id", "payload"]:
        err("envelope keys %s" % keys); continue
    e = dict(ev)
    topic = e["topic"]
    fam = "execution.fast" if topic.startswith("execution.fast") else topic.split(".")[0]
    want = FAM.get(topic.split(".")[0])
    if e["event_type"] != want:
        err("%s: event_type %s, expected %s" % (topic, e["event_type"], want))
    if not UUID.match(e["event_id"]): err("event_id %s" % e["event_id"])
    if e["event_id"] in ids: err("event %s twice in the sink" % e["event_id"])
    ids.add(e["event_id"])
    if not re.match(r"^[0-9a-f]{32}$", e["trace_id"]): err("trace_id %s" % e["trace_id"])
    for k in ("timestamp", "received_at"):
        if not ISO.match(e[k]): err("%s %s" % (k, e[k]))
    p = e["payload"]
    pk = [k for k, _ in p]
    if want == "balance":
        if pk != ["data", "topic", "id", "creationTime"]:
            err("wallet payload keys %s" % pk); continue
        for acct in dict(p)["data"]:
            shape = tuple((k, kind(v)) for k, v in acct)
            if shape not in shapes["wallet"]:
                err("wallet account shape differs from every sample")
    else:
        added = ["topic", "type", "cts"] if want == "orderbook" else ["topic"]
        tail = pk[-len(added):] if want != "orderbook" else [k for k in pk if k in added]
        if pk[len(pk) - len(tail):] != tail or tail[0] != "topic":
            err("%s: added keys not last: %s" % (topic, pk))
        if dict(p)["topic"] != topic:
            err("%s: payload topic %s" % (topic, dict(p)["topic"]))
        item = [(k, v) for k, v in p if k not in added]
        shape = tuple((k, kind(v)) for k, v in item)
        key = "publicTrade" if fam == "publicTrade" else fam
        if shape not in shapes[key]:
            err("%s: payload keys/types differ from every %s sample: %s"
                % (topic, key, [k for k, _ in item][:12]))
    seen[want] += 1
    frames[topic].add(e["trace_id"])
for t in expect.split(","):
    if seen[t] == 0:
        err("no %s event arrived" % t)
# nothing lost or doubled: the sink holds every frame the simulator sent
stats = json.load(open(stats_file))
for topic, c in stats["topics"].items():
    if len(frames[topic]) != c["frames"]:
        err("%s: %d frames in the sink, the simulator sent %d"
            % (topic, len(frames[topic]), c["frames"]))
for e in errors:
    print(e)
print("checked %d events of %d frames, %d topics"
      % (n, sum(len(f) for f in frames.values()), len(frames)))
sys.exit(1 if errors else 0)
PY

# ---- 0. option errors found by -t -------------------------------------------

t_bad() { # t_bad NAME EXPECTED_TEXT SOURCE_YAML_LINES
    printf 'sources:\n  - name: bybit\n    module: bybit\n%s\n' "$3" >"$T/bad.yaml"
    local out
    out=$("$WSGW_BIN" -t -c "$T/bad.yaml" 2>&1)
    if [ $? = 1 ] && grep -q -F -- "$2" <<<"$out"; then
        ok "-t refuses $1"
    else
        fail "-t refuses $1" "$(head -2 <<<"$out")"
    fi
}
t_bad "custom without public_url" "environment custom needs public_url" \
    "    environment: custom"
t_bad "half of the credentials" "api_key and api_secret go together" \
    "    api_key: only-the-key"
t_bad "an unknown category" "category 'futures': expected spot" \
    "    category: futures"
t_bad "dead_after not above ping_interval" "must be longer than ping_interval" \
    "    ping_interval: 5s
    dead_after: 5s"
t_bad "backoff_max above 30 s" "backoff_max" "    backoff_max: 60s"
t_bad "a ws URL for REST" "rest_url" \
    "    api_key: k
    api_secret: s
    rest_url: ws://127.0.0.1:1"
t_bad "an invalid static subscription" "invalid symbol 'btc/usdt'" \
    "    subscriptions:
      - { channel: trades, symbol: btc/usdt }"

# ---- A. families, envelope, untouched payloads, REST sync ------------------

sim_start --api-key "$KEY" --api-secret "$SECRET" --no-tag --rate 20 \
    --count 4 --symbols any || { fail "bybit-sim starts"; t_summary; exit 1; }
ADMIN_PORT=$(free_port)
conf "$T/a.yaml" "$SECRET" "$ADMIN_PORT" "$T/a.jsonl" "    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
      - { channel: ticker, category: linear, symbol: BTCUSDT }
      - { channel: funding, category: linear, symbol: ETHUSDT }
      - { channel: orderbook, category: linear, symbol: BTCUSDT, depth: 50 }
      - { channel: kline, category: linear, symbol: BTCUSDT, interval: '5' }
      - { channel: liquidation, category: linear, symbol: BTCUSDT }
      - { topic: insurance.USDT }
      - { topic: adlAlert.USDT }
      - { topic: priceLimit.BTCUSDT }
      - { channel: trades, category: spot, symbol: BTCUSDT }
      - { channel: ticker, category: spot, symbol: ETHUSDT }
      - { channel: orderbook, category: spot, symbol: BTCUSDT }
      - { channel: ticker, category: inverse, symbol: BTCUSD }
      - { channel: ticker, category: option, symbol: BTC-28JUN24-60000-P }
      - { channel: order }
      - { channel: execution }
      - { channel: execution, topic: execution.fast }
      - { channel: position }
      - { channel: balance }
      - { topic: greeks }
      - { topic: strategy }"
check "-t accepts the test configuration" "$WSGW_BIN" -t -c "$T/a.yaml"
daemon_start "$T/a.yaml"
families=trade,ticker,orderbook,kline,liquidation,insurance,adlAlert,priceLimit,order,execution,position,balance,greeks,strategy
all_arrived() {
    local f
    for f in ${families//,/ }; do
        grep -q "\"event_type\":\"$f\"" "$T/a.jsonl" 2>/dev/null || return 1
    done
}
check "events of every topic family arrive" wait_for 20 all_arrived
# --count: each topic sends 4 events per connection and then stays silent
sent_all() {
    sim GET /stats >"$T/stats.json"
    local a b
    a=$(wc -l <"$T/a.jsonl")
    sleep 0.5
    b=$(wc -l <"$T/a.jsonl")
    [ "$a" = "$b" ] && [ "$b" -gt 0 ]
}
wait_for 20 sent_all
sim GET /templates >"$T/templates.json"
sim GET /stats >"$T/stats.json"
if "$PY" "$T/check_events.py" "$T/a.jsonl" "$DATA/bybit" "$T/templates.json" \
    "$T/stats.json" "$families" >"$T/check.out" 2>&1; then
    ok "envelope, event types, payload shapes, nothing lost ($(tail -1 "$T/check.out"))"
else
    fail "envelope and payloads" "$(head -8 "$T/check.out")"
fi
check "ticker events are classed by topic, funding rides on tickers" \
    grep -q '"event_type":"ticker","topic":"tickers.ETHUSDT"' "$T/a.jsonl"

# Every stream must have had its first pong (ping_interval 1 s) before
# last_heartbeat_at is set: poll rather than sample once (slow under ASan).
health_ok() {
    api GET /health | jq -e '.status == "healthy" and .websocket_connected == true and .last_heartbeat_at != null' >/dev/null
}
check "/health: healthy and websocket connected" wait_for 10 health_ok
st=$(api GET /api/v1/status)
check "status lists every stream connected" bash -c "jq -e '[.connections.bybit.connections[] | .state] | length == 5 and all(. == \"connected\")' <<<'$st' >/dev/null"

out=$(api POST /api/v1/balances/sync)
check "balance sync answers 200 with the coins" bash -c \
    "[ \"\$(cat $T/code)\" = 200 ] && jq -e '.updated_count >= 1 and (.updated_coins | index(\"BTC\"))' <<<'$out' >/dev/null"
check "the synced balance goes through the pipeline as a wallet event" \
    wait_for 5 grep -q '"event_type":"balance","topic":"wallet".*"id":"rest-sync-' "$T/a.jsonl"
check "the REST call was signed and accepted by the simulator" bash -c \
    "curl -s '$SIM_CTL/rest' | jq -e '[.requests[] | select(.result == \"ok\" and .query == \"accountType=UNIFIED\")] | length == 1' >/dev/null"
daemon_stop
check "the daemon stops cleanly" test $? = 0
mv "$T/wsgw.log" "$T/wsgw-a.log"
kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null

# ---- B. liveness, reconnect, refusals, malformed floods ----------------------

sim_start --api-key "$KEY" --api-secret "$SECRET" --rate 10 ||
    { fail "bybit-sim starts again"; t_summary; exit 1; }
ADMIN_PORT=$(free_port)
conf "$T/b.yaml" "$SECRET" "$ADMIN_PORT" "$T/b.jsonl" "    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
      - { channel: ticker, category: linear, symbol: ETHUSDT }
      - { channel: ticker, category: linear, symbol: NOPEUSDT }
      - { channel: orderbook, category: linear, symbol: BTCUSDT }
      - { channel: trades, category: spot, symbol: BTCUSDT }
      - { channel: ticker, category: spot, symbol: XRPUSDT }
      - { channel: order }
      - { channel: balance }"
daemon_start "$T/b.yaml"
check "the daemon connects all three streams" wait_for 10 bash -c \
    "[ \$(curl -s '$SIM_CTL/clients' | jq '[.clients[] | select(.open)] | length') = 3 ]"
check "private stream authenticates" wait_for 10 bash -c \
    "curl -s '$SIM_CTL/clients' | jq -e '.clients[] | select(.open and .path == \"/v5/private\") | .auth == \"ok\"' >/dev/null"
sleep 4.5
# pings: the simulator logs each with its time
sim GET /clients >"$T/clients.json"
"$PY" - "$T/clients.json" >"$T/pings.out" <<'PY'
import json, sys
c = [x for x in json.load(open(sys.argv[1]))["clients"]
     if x["open"] and x["path"] == "/v5/public/linear"][0]
t = [e["t"] for e in c["log"] if e["op"] == "ping"]
gaps = [b - a for a, b in zip(t, t[1:])]
print(len(t), " ".join(map(str, gaps)))
ok = len(t) >= 3 and all(700 <= g <= 1500 for g in gaps)
sys.exit(0 if ok else 1)
PY
check "pings every ping_interval (1 s): $(cat "$T/pings.out")" test $? = 0

# a refused topic: the simulator answers the batch naming NOPEUSDT
sub_field() { # sub_field TOPIC FIELD: a field of the topic's registry record
    api GET /api/v1/subscriptions |
        jq -r --arg t "$1" --arg f "$2" \
            '[.subscriptions[] | select(.topic == $t)][0][$f]'
}
sub_is() { # sub_is TOPIC STATUS
    [ "$(sub_field "$1" status)" = "$2" ]
}
check "the refused topic is shown as failed" \
    wait_for 10 sub_is tickers.NOPEUSDT failed
reason=$(sub_field tickers.NOPEUSDT status_reason)
check "with Bybit's message as the reason ($reason)" \
    grep -q 'handler not found,topic:tickers.NOPEUSDT' <<<"$reason"
for t in publicTrade.BTCUSDT tickers.ETHUSDT orderbook.1.BTCUSDT; do
    check "its batch neighbour $t is active" wait_for 5 sub_is "$t" active
done
check "the daemon log names the refusal" grep -q 'tickers.NOPEUSDT.*refused' "$T/wsgw.log"

# a subscription made through the admin API
api POST /api/v1/subscriptions \
    '{"channel_type":"ticker","symbol":"SOLUSDT","requesting_service":"it"}' >/dev/null
check "an API subscription is created (201)" test "$(cat "$T/code")" = 201
check "its events arrive" wait_for 10 grep -q '"topic":"tickers.SOLUSDT"' "$T/b.jsonl"
check "and it becomes active" wait_for 10 sub_is tickers.SOLUSDT active

# an abrupt disconnect (TCP reset) of the linear stream
t0=$(date +%s%3N)
sim POST /fault '{"kind":"reset","path":"/v5/public/linear"}' >/dev/null
relinked() {
    sim GET /clients >"$T/clients.json"
    jq -e --argjson t0 "$t0" '[.clients[] | select(.open and .path ==
        "/v5/public/linear" and .connected_at > $t0)] | length == 1' \
        "$T/clients.json" >/dev/null
}
check "reconnects after an abrupt disconnect" wait_for 30 relinked
resubscribed() {
    sim GET /clients >"$T/clients.json"
    "$PY" - "$T/clients.json" "$t0" >"$T/resub.out" <<'PY'
import json, sys
t0 = int(sys.argv[2])
c = [x for x in json.load(open(sys.argv[1]))["clients"]
     if x["open"] and x["path"] == "/v5/public/linear" and x["connected_at"] > t0][0]
want = {"publicTrade.BTCUSDT", "tickers.ETHUSDT", "orderbook.1.BTCUSDT",
        "tickers.SOLUSDT"}
got, last = set(), 0
for e in c["log"]:
    if e["op"] == "subscribe" and (e.get("result") == "ok" or
                                   "already subscribed" in e.get("result", "")):
        got |= set(e["args"]) & want
        last = max(last, e["t"])
print("reconnect %d ms, resubscribed %d ms after" %
      (c["connected_at"] - t0, last - c["connected_at"]))
sys.exit(0 if got == want and last - c["connected_at"] <= 5000
         and c["connected_at"] - t0 <= 30000 else 1)
PY
}
check "every topic is subscribed again within 5 s" wait_for 10 resubscribed
echo "    ($(cat "$T/resub.out"))"
more_of() { # more_of TOPIC N: the sink holds more than N events of TOPIC
    [ "$(count_topic "$T/b.jsonl" "$1")" -gt "$2" ]
}
reconnects() { # reconnects STREAM
    metric "wsgw_bybit_reconnects_total{source=\"bybit\",stream=\"$1\"}"
}
check "data flows again after the reconnect" \
    wait_for 10 more_of tickers.SOLUSDT "$(count_topic "$T/b.jsonl" tickers.SOLUSDT)"
check "the reconnect is counted" test "$(reconnects linear)" -ge 1

# a stalled connection: no pongs, no data
t1=$(date +%s%3N)
sim POST /fault '{"kind":"stall_pongs","path":"/v5/public/spot"}' >/dev/null
sim POST /fault '{"kind":"stall_data","path":"/v5/public/spot"}' >/dev/null
respot() {
    curl -s "$SIM_CTL/clients" | jq -e --argjson t "$t1" '[.clients[] |
        select(.open and .path == "/v5/public/spot" and .connected_at > $t)]
        | length == 1' >/dev/null
}
check "a stalled connection is detected and replaced" wait_for 20 respot
check "the log says why" grep -q 'no pong and no data.*presumed dead' "$T/wsgw.log"
check "the stall is counted as a reconnect" test "$(reconnects spot)" -ge 1
spot_flows() { # events of the spot ticker received after the stall began
    grep '"topic":"tickers.XRPUSDT"' "$T/b.jsonl" | "$PY" -c "
import json, sys, datetime
t = $t1 / 1000.0
for line in sys.stdin:
    e = json.loads(line)
    r = datetime.datetime.strptime(e['received_at'], '%Y-%m-%dT%H:%M:%S.%fZ')
    if r.replace(tzinfo=datetime.timezone.utc).timestamp() > t + 3:
        sys.exit(0)
sys.exit(1)"
}
check "spot data flows on the new connection" wait_for 15 spot_flows

# floods of malformed frames of every kind on the linear stream
# (oversized ones are few: the single-threaded simulator, under a sanitizer,
# would otherwise stall every stream while it writes them)
for what in invalid_json truncated binary oversized unknown_topic wrong_shape; do
    n=50
    [ "$what" = oversized ] && n=5
    sim POST /fault "{\"kind\":\"garbage\",\"what\":\"$what\",\"count\":$n,\"size\":1200000,\"path\":\"/v5/public/linear\"}" >/dev/null
done
flood_counted() {
    local r n
    for r in invalid_json truncated binary too_large unknown_topic wrong_shape; do
        n=50
        [ "$r" = too_large ] && n=5
        [ "$(metric "wsgw_bybit_malformed_total{source=\"bybit\",reason=\"$r\"}")" -ge $n ] || return 1
    done
}
check "every malformed frame is counted by reason" wait_for 20 flood_counted
check "the process is still running" kill -0 "$WSGW_PID"
check "the flooded stream's topics keep flowing" wait_for 10 \
    more_of orderbook.1.BTCUSDT "$(count_topic "$T/b.jsonl" orderbook.1.BTCUSDT)"
check "the other streams keep flowing" wait_for 10 \
    more_of order "$(count_topic "$T/b.jsonl" order)"
check "no malformed frame reached the sink" "$PY" -c "
import json, sys
for line in open('$T/b.jsonl'):
    e = json.loads(line)
    p = e['payload']
    assert p['topic'] == e['topic'] and not e['topic'].startswith('unknownTopic'), line[:200]
"
check "the flood did not cost the linear stream its connection" \
    test "$(reconnects linear)" = 1
daemon_stop
check "the daemon stops cleanly after all that" test $? = 0
mv "$T/wsgw.log" "$T/wsgw-b.log"

# ---- C. a wrong secret ---------------------------------------------------------

ADMIN_PORT=$(free_port)
conf "$T/c.yaml" "wrong-$SECRET" "$ADMIN_PORT" "$T/c.jsonl" "    health_window: 12s
    subscriptions:
      - { channel: order }
      - { channel: trades, category: linear, symbol: BTCUSDT }"
t2=$(date +%s%3N)
daemon_start "$T/c.yaml"
check "the refused key is logged clearly" wait_for 10 \
    grep -q 'authentication on .*/v5/private failed: Bybit refused the API key' "$T/wsgw.log"
sleep 8
st=$(api GET /api/v1/status)
check "status shows the private stream down with the reason" bash -c "jq -e '.connections.bybit.connections.private | .connected == false and (.last_error | test(\"refused the API key\")) and .auth_failures >= 2' <<<'$st' >/dev/null"
check "public data still flows" grep -q '"topic":"publicTrade.BTCUSDT"' "$T/c.jsonl"
sim GET /clients >"$T/clients.json"
"$PY" - "$T/clients.json" "$t2" >"$T/auth.out" <<'PY'
import json, sys
t0 = int(sys.argv[2])
c = sorted(x["connected_at"] for x in json.load(open(sys.argv[1]))["clients"]
           if x["path"] == "/v5/private" and x["connected_at"] > t0)
gaps = [b - a for a, b in zip(c, c[1:])]
print("%d attempts in 8 s, gaps %s ms" % (len(c), gaps))
# backoff_min 500ms, doubling, jitter 25%: 375+, growing; never a tight loop
ok = 2 <= len(c) <= 6 and all(g >= 375 for g in gaps) and gaps[-1] > gaps[0]
sys.exit(0 if ok else 1)
PY
check "auth is retried with a growing backoff ($(cat "$T/auth.out"))" test $? = 0
api POST /api/v1/balances/sync >/dev/null
check "balance sync with a refused key answers 502 BALANCE_SYNC_FAILED" bash -c \
    "[ \"\$(cat $T/code)\" = 502 ] && jq -e '.code == \"BALANCE_SYNC_FAILED\"' '$T/api.out' >/dev/null"
check "the simulator saw a wrong signature, not a malformed request" bash -c \
    "curl -s '$SIM_CTL/rest' | jq -e '[.requests[] | .result] | index(\"wrong signature\")' >/dev/null"
check "the secret never appears in any log" bash -c "! grep -q -- '$SECRET' '$T'/wsgw*.log"
check "/health is degraded, not yet unhealthy, inside health_window" bash -c \
    "curl -s http://127.0.0.1:$ADMIN_PORT/health | jq -e '.components.websocket.bybit.health == \"degraded\"' >/dev/null"
health_down() {
    local code
    code=$(curl -s -o "$T/health.json" -w '%{http_code}' \
        "http://127.0.0.1:$ADMIN_PORT/health")
    [ "$code" = 503 ] && jq -e '.status == "unhealthy" and
        .components.websocket.bybit.health == "down"' "$T/health.json" >/dev/null
}
check "/health is 503 once the private stream is down longer than health_window" \
    wait_for 15 health_down
daemon_stop
check "the daemon stops cleanly with the private stream down" test $? = 0
mv "$T/wsgw.log" "$T/wsgw-c.log"

# ---- D. no credentials ------------------------------------------------------------

ADMIN_PORT=$(free_port)
conf "$T/d.yaml" "" "$ADMIN_PORT" "$T/d.jsonl" ""
sed -i '/api_key:/d; /api_secret:/d' "$T/d.yaml"
daemon_start "$T/d.yaml"
wait_for 10 bash -c "curl -s -o /dev/null http://127.0.0.1:$ADMIN_PORT/health"
api POST /api/v1/balances/sync >/dev/null
check "balance sync without credentials answers 501" test "$(cat "$T/code")" = 501
api POST /api/v1/subscriptions '{"channel_type":"order","requesting_service":"it"}' >/dev/null
check "a private channel without credentials is refused (400)" \
    test "$(cat "$T/code")" = 400
api POST /api/v1/subscriptions '{"channel_type":"trades","symbol":"btcusdt","requesting_service":"it"}' >/dev/null
check "a bad symbol is refused with INVALID_SYMBOL" bash -c \
    "[ \"\$(cat $T/code)\" = 400 ] && jq -e '.code == \"INVALID_SYMBOL\"' '$T/api.out' >/dev/null"
daemon_stop
check "the daemon stops cleanly without credentials" test $? = 0
mv "$T/wsgw.log" "$T/wsgw-d.log"
kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null

# ---- E. TLS -------------------------------------------------------------------

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
    -out "$T/cert.pem" -days 1 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
sim_start --api-key "$KEY" --api-secret "$SECRET" --tls-cert "$T/cert.pem" \
    --tls-key "$T/key.pem" || { fail "bybit-sim starts with TLS"; t_summary; exit 1; }
SIM_WS=wss://127.0.0.1:$SIM_PORT
REST_URL=https://127.0.0.1:$SIM_PORT
tls_run() { # tls_run NAME EXTRA_SOURCE_YAML: start a daemon on the TLS sim
    ADMIN_PORT=$(free_port)
    conf "$T/$1.yaml" "$SECRET" "$ADMIN_PORT" "$T/$1.jsonl" "$2
    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
      - { channel: order }"
    daemon_start "$T/$1.yaml"
}
tls_run e1 "    ca_file: $T/cert.pem"
check "wss: events arrive when ca_file trusts the server" \
    wait_for 10 grep -q '"topic":"order"' "$T/e1.jsonl"
api POST /api/v1/balances/sync >/dev/null
check "https: balance sync works when ca_file trusts the server" \
    test "$(cat "$T/code")" = 200
daemon_stop
check "the daemon stops cleanly (TLS)" test $? = 0
mv "$T/wsgw.log" "$T/wsgw-e1.log"

tls_run e2 ""
check "without the CA the TLS handshake fails and is retried" \
    wait_for 10 grep -q 'lost (connection failed: .*TLS handshake failed' "$T/wsgw.log"
sleep 1
check "no event passes an unverified connection" test ! -s "$T/e2.jsonl"
api POST /api/v1/balances/sync >/dev/null
check "https: balance sync refuses an untrusted server (502)" \
    test "$(cat "$T/code")" = 502
daemon_stop
mv "$T/wsgw.log" "$T/wsgw-e2.log"

tls_run e3 "    tls_verify: false"
check "tls_verify: false warns at start" \
    wait_for 10 grep -q 'WARN .*tls_verify is false: server certificates are NOT verified' "$T/wsgw.log"
check "and connects" wait_for 10 grep -q '"topic":"publicTrade.BTCUSDT"' "$T/e3.jsonl"
daemon_stop
check "the daemon stops cleanly (tls_verify false)" test $? = 0

# a sanitizer build (scripts/test) reports memory errors in the logs
check "no sanitizer reports" bash -c \
    "! grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' '$T'/wsgw*.log"

t_summary
