#!/usr/bin/env bash
# Tests of bybit-sim driven by sim-client and curl on 127.0.0.1.
# Usage: tests/sim/test-sim.sh     (env SIM_BIN / SIM_CLIENT override paths)
# Prints one line per check and a closing "N passed, N failed".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SIM=${SIM_BIN:-$HERE/bybit-sim}
CLIENT=${SIM_CLIENT:-$HERE/sim-client}
DATA=$TOP/tests/data/bybit
# the Debian interpreter: a pyenv shim costs seconds per call
PY=$(command -v /usr/bin/python3 || command -v python3)
CHECK="$PY $HERE/simcheck.py"
KEY=testkey
SECRET=test-secret

if [ ! -x "$SIM" ] || [ ! -x "$CLIENT" ]; then
    make -s -C "$HERE" -f Makefile.dev >/dev/null || exit 1
fi

TMP=$(mktemp -d)
SIM_PID=
PASS=0
FAIL=0

cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
ko() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
check() { # check NAME CMD...: pass if CMD succeeds (failed test: shows its args)
    local name=$1; shift
    if "$@" >/dev/null 2>"$TMP/why"; then ok "$name"; else
        [ "$1" = test ] && echo "${*:2}" >>"$TMP/why"
        ko "$name: $(head -c 400 "$TMP/why")"; fi
}

# start_sim ARGS...: start on free ports, set PORT and CPORT
start_sim() {
    stop_sim
    "$SIM" --data-dir "$DATA" --api-key "$KEY" --api-secret "$SECRET" "$@" \
        >"$TMP/sim.out" 2>"$TMP/sim.err" &
    SIM_PID=$!
    for _ in $(seq 50); do
        grep -q '^CONTROL ' "$TMP/sim.out" 2>/dev/null && break
        sleep 0.1
    done
    PORT=$(sed -n 's/^LISTEN wss\{0,1\} 127.0.0.1:\([0-9]*\)$/\1/p' "$TMP/sim.out")
    CPORT=$(sed -n 's/^CONTROL 127.0.0.1:\([0-9]*\)$/\1/p' "$TMP/sim.out")
    [ -n "$PORT" ] && [ -n "$CPORT" ]
}

stop_sim() {
    if [ -n "$SIM_PID" ]; then
        kill -TERM "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
        SIM_PID=
    fi
}

# cl PATH ARGS...: run sim-client against the simulator
cl() { local p=$1; shift; "$CLIENT" --url "ws://127.0.0.1:$PORT$p" "$@"; }
# cl_bg OUT PATH ARGS...: the same in the background, FC = its pid (the
# client itself, not a subshell, so that kill reaches it)
cl_bg() {
    local out=$1 p=$2; shift 2
    "$CLIENT" --url "ws://127.0.0.1:$PORT$p" "$@" >"$out" &
    FC=$!
}
ctl() { curl -s -X "$1" "http://127.0.0.1:$CPORT$2" ${3:+-H 'Content-Type: application/json' -d "$3"}; }
jv() { $CHECK eval "$1"; }   # JSON on stdin
nth() { grep -v '^#' "$1" | sed -n "${2}p"; }
# wait_for FILE PATTERN [SECONDS]
wait_for() {
    local i
    for i in $(seq $((${3:-5} * 20))); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
wait_until_exists() {
    local i
    for i in $(seq 100); do
        [ -e "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
sub() { printf '{"op":"subscribe","args":[%s]}' "$1"; }
subr() { printf '{"req_id":"%s","op":"subscribe","args":[%s]}' "$1" "$2"; }

# ---------------------------------------------------------------- startup
if start_sim --rate 5 --api-key key2 --api-secret secret2; then ok "starts on free ports ($PORT, control $CPORT)"
else ko "start"; cat "$TMP/sim.err"; echo "$PASS passed, $FAIL failed"; exit 1; fi
ctl GET /templates >"$TMP/templates.json"

# ---------------------------------------------------------------- acks
cl /v5/public/spot --send "$(subr 10001 '"tickers.BTCUSDT"')" --count 1 >"$TMP/a"
check "spot subscribe ack with req_id (control.jsonl 12)" $CHECK ack "$DATA" 12 "$(nth "$TMP/a" 1)"
cl /v5/public/spot --send "$(sub '"tickers.BTCUSDT"')" --count 1 >"$TMP/a"
check "spot subscribe ack without req_id (13)" $CHECK ack "$DATA" 13 "$(nth "$TMP/a" 1)"
cl /v5/public/linear --send "$(sub '"tickers.BTCUSDT"')" --count 1 >"$TMP/a"
check "linear subscribe ack, req_id \"\" (15)" $CHECK ack "$DATA" 15 "$(nth "$TMP/a" 1)"
cl /v5/public/inverse --send "$(sub '"tickers.BTCUSD"')" --count 1 >"$TMP/a"
check "inverse subscribe ack (15)" $CHECK ack "$DATA" 15 "$(nth "$TMP/a" 1)"
cl /v5/public/linear --send "$(sub '"kline.1.BTCUSDT"')" \
    --send '{"req_id":"3","op":"unsubscribe","args":["kline.1.BTCUSDT"]}' --count 2 >"$TMP/a"
check "linear unsubscribe ack (16)" $CHECK ack "$DATA" 16 "$(grep unsubscribe "$TMP/a")"
cl /v5/public/option --send "$(sub '"orderbook.100.BTC-27DEC25-100000-C"')" --count 1 >"$TMP/a"
check "option subscribe ack COMMAND_RESP (17)" $CHECK ack "$DATA" 17 "$(nth "$TMP/a" 1)"
check "option ack lists the topic in successTopics" test \
    "$(nth "$TMP/a" 1 | jv 'j["data"]["successTopics"]')" = "['orderbook.100.BTC-27DEC25-100000-C']"
cl /v5/private --auth "$KEY:$SECRET" --send "$(sub '"wallet"')" --count 2 >"$TMP/a"
check "private auth success ack (1)" $CHECK ack "$DATA" 1 "$(nth "$TMP/a" 1)"
check "private subscribe ack (11)" $CHECK ack "$DATA" 11 "$(nth "$TMP/a" 2)"

# ---------------------------------------------------------------- pongs
cl /v5/public/spot --send '{"op":"ping"}' --count 1 >"$TMP/a"
check "spot pong (5)" $CHECK ack "$DATA" 5 "$(nth "$TMP/a" 1)"
cl /v5/public/linear --send '{"op":"ping"}' --count 1 >"$TMP/a"
check "linear pong (6)" $CHECK ack "$DATA" 6 "$(nth "$TMP/a" 1)"
cl /v5/public/inverse --send '{"req_id":"9","op":"ping"}' --count 1 >"$TMP/a"
check "inverse pong echoes req_id (6)" $CHECK ack "$DATA" 6 "$(nth "$TMP/a" 1)" 'req_id="9"'
cl /v5/public/option --send '{"op":"ping"}' --count 1 >"$TMP/a"
check "option pong (7)" $CHECK ack "$DATA" 7 "$(nth "$TMP/a" 1)"
cl /v5/private --send '{"req_id":"test","op":"ping"}' --count 1 >"$TMP/a"
check "private pong with req_id (8)" $CHECK ack "$DATA" 8 "$(nth "$TMP/a" 1)"
cl /v5/private --send '{"op":"ping"}' --count 1 >"$TMP/a"
check "private pong without req_id (10)" $CHECK ack "$DATA" 10 "$(nth "$TMP/a" 1)"

# ---------------------------------------------------------------- failures
cl /v5/public/linear --send "$(subr dcp.future '"dcp.future"')" --count 1 >"$TMP/a"
check "unknown topic: handler not found (22)" $CHECK ack "$DATA" 22 "$(nth "$TMP/a" 1)"
cl /v5/public/linear --send "$(sub '"orderbook.50.NOSUCHUSDT"')" --count 1 >"$TMP/a"
check "unknown symbol refused" test "$(nth "$TMP/a" 1 | jv 'j["ret_msg"]')" = \
    "error:handler not found,topic:orderbook.50.NOSUCHUSDT"
cl /v5/public/linear --send "$(subr r1 '"allLiquidation.BTCUSDT"')" \
    --send "$(subr r2 '"allLiquidation.ETHUSDT","allLiquidation.BTCUSDT"')" --count 3 \
    | grep -v '"topic"' >"$TMP/a"
check "already subscribed (21)" $CHECK ack "$DATA" 21 "$(grep '"r2"' "$TMP/a")" \
    'ret_msg="error:already subscribed,topic:allLiquidation.BTCUSDT"' 'req_id="r2"'
args=$(printf '"publicTrade.%s",' BTCUSDT ETHUSDT SOLUSDT XRPUSDT DOGEUSDT ADAUSDT BNBUSDT LTCUSDT MNTUSDT ETHBTC BTCUSDC)
cl /v5/public/spot --send "$(sub "${args%,}")" --count 1 >"$TMP/a"
check "spot: more than 10 args refused" test "$(nth "$TMP/a" 1 | jv 'j["success"]')" = False
cl /v5/private --send "$(sub '"order"')" --count 1 >"$TMP/a"
check "private topic before auth refused" test \
    "$(nth "$TMP/a" 1 | jv '(j["success"], j["ret_msg"], j["op"])')" = \
    "(False, 'Request not authorized', 'subscribe')"
cl /v5/public/option --send "$(sub '"orderbook.100.BTC-27DEC25-100000-C","bogus.X"')" --count 1 >"$TMP/a"
check "option failTopics lists the unknown topic" test \
    "$(nth "$TMP/a" 1 | jv '(j["success"], j["data"]["failTopics"], j["data"]["successTopics"])')" = \
    "(False, ['bogus.X'], ['orderbook.100.BTC-27DEC25-100000-C'])"
cl /v5/public/spot --send '{"op":"auth","args":["k",1,"s"]}' --count 1 >"$TMP/a"
check "auth on a public stream: handler not found" test \
    "$(nth "$TMP/a" 1 | jv '(j["success"], j["ret_msg"], j["op"])')" = \
    "(False, 'error:handler not found,op:auth', 'auth')"
cl /v5/public/linear --send "$(sub '"order"')" --count 1 >"$TMP/a"
check "private topic on a public stream refused" test \
    "$(nth "$TMP/a" 1 | jv 'j["ret_msg"]')" = "error:handler not found,topic:order"

# ---------------------------------------------------------------- auth
cl /v5/private --auth "$KEY:wrong-secret" --count 1 >"$TMP/a"
check "auth with a wrong signature fails (4)" $CHECK ack "$DATA" 4 "$(nth "$TMP/a" 1)"
cl /v5/private --auth "$KEY:$SECRET:-2000" --count 1 >"$TMP/a"
check "auth with expired 'expires' fails (4)" $CHECK ack "$DATA" 4 "$(nth "$TMP/a" 1)"
cl /v5/private --auth "key2:secret2" --count 1 >"$TMP/a"
check "auth with a second configured key pair" $CHECK ack "$DATA" 1 "$(nth "$TMP/a" 1)"
cl /v5/private --auth "nokey:$SECRET" --count 1 >"$TMP/a"
check "auth with an unknown key fails" test "$(nth "$TMP/a" 1 | jv 'j["success"]')" = False
ctl GET /clients >"$TMP/clients.json"
check "GET /clients shows auth results and request log" test "$(jv '
sorted(set((c["auth"], r.get("result")) for c in j["clients"] if c["path"] == "/v5/private"
    for r in c["log"] if r["op"] == "auth"))' <"$TMP/clients.json")" = \
    "[('failed', 'expired'), ('failed', 'unknown api key'), ('failed', 'wrong signature'), ('ok', 'ok')]"
check "GET /clients shows the key of an authorized client" test "$(jv '
sorted(set(c.get("auth_key", "") for c in j["clients"] if c["auth"] == "ok"))' <"$TMP/clients.json")" = \
    "['key2', 'testkey']"
check "GET /clients logs subscribes with args and time" test "$(jv '
any(r["op"] == "subscribe" and r["args"] == ["tickers.BTCUSD"] and r["t"] > 0
    for c in j["clients"] for r in c["log"])' <"$TMP/clients.json")" = True

# ---------------------------------------------------------------- shapes
shape_run() { # shape_run PATH TOPICS [auth]
    local p=$1 topics=$2; shift 2
    local n; n=$(($(echo "$topics" | tr ',' '\n' | wc -l) * 2 + 1))
    cl "$p" "$@" --send "$(sub "$topics")" --count-data "$n" --timeout 5 | grep '^{"' >"$TMP/shape"
    $CHECK shape "$DATA" "$TMP/templates.json" "$p" "$TMP/shape" >/dev/null 2>"$TMP/why.shape"
}
: >"$TMP/why.shape"
for p in /v5/public/linear /v5/public/inverse; do
    s=BTCUSDT; [ $p = /v5/public/inverse ] && s=BTCUSD
    if shape_run $p "\"publicTrade.$s\",\"tickers.$s\",\"orderbook.50.$s\",\"kline.5.$s\",\"allLiquidation.$s\",\"liquidation.$s\",\"insurance.USDT\",\"adlAlert.USDT\""
    then ok "$p: every topic has its sample's key set"; else ko "$p shapes: $(head -c 600 "$TMP/why.shape")"; fi
done
if shape_run /v5/public/linear '"priceLimit.BTCUSDT","orderbook.1.ETHUSDT","orderbook.200.SOLUSDT"'
then ok "linear priceLimit / orderbook.1 / orderbook.200 shapes"; else ko "linear shapes 2: $(head -c 600 "$TMP/why.shape")"; fi
if shape_run /v5/public/spot '"publicTrade.BTCUSDT","tickers.BTCUSDT","orderbook.50.BTCUSDT","kline.1.BTCUSDT","priceLimit.BTCUSDT"'
then ok "spot: every topic has its sample's key set"; else ko "spot shapes: $(head -c 600 "$TMP/why.shape")"; fi
if shape_run /v5/public/option '"publicTrade.BTC","tickers.BTC-27DEC25-100000-C","orderbook.25.ETH-27DEC25-4000-P"'
then ok "option: every topic has its sample's key set"; else ko "option shapes: $(head -c 600 "$TMP/why.shape")"; fi
if shape_run /v5/private '"order","execution","execution.fast","position","wallet","greeks","strategy"' --auth "$KEY:$SECRET"
then ok "private: every topic has its sample's key set"; else ko "private shapes: $(head -c 600 "$TMP/why.shape")"; fi
check "private data covers several categories" test "$(grep -o '"category":"[a-z]*"' "$TMP/shape" | sort -u | wc -l)" -ge 3

cl /v5/public/linear --send "$(sub '"orderbook.50.BTCUSDT","orderbook.1.BTCUSDT"')" --count-data 12 >"$TMP/book"
check "orderbook: snapshot, then deltas with u+1 and rising seq" $CHECK book "$TMP/book"
cl /v5/public/linear --send "$(sub '"tickers.BTCUSDT"')" --count-data 3 >"$TMP/a"
check "linear tickers: snapshot then deltas" test \
    "$(grep -o '"type":"[a-z]*"' "$TMP/a" | tr '\n' ' ')" = '"type":"snapshot" "type":"delta" "type":"delta" '

# ---------------------------------------------------------------- faults
start_sim --rate 20
fault_client() { # background client on linear with orderbook + trades
    cl_bg "$TMP/f" /v5/public/linear --timeout "${1:-6}" "${@:2}" \
        --send "$(sub '"orderbook.50.BTCUSDT","publicTrade.BTCUSDT"')"
    wait_for "$TMP/f" '"topic"'
}
fault_client
ctl POST /fault '{"kind":"reset","client":"all"}' >"$TMP/r"
wait "$FC"
check "fault reset: connection dropped without a close frame" grep -q '^#CLOSED abrupt' "$TMP/f"

# on a plain socket: the reset is a real RST, the idle-free close a close frame
rm -f "$TMP/ready"
$CHECK rawclose "$PORT" /v5/public/inverse "$TMP/ready" >"$TMP/raw" &
RC=$!
wait_until_exists "$TMP/ready"
ctl POST /fault '{"kind":"reset","path":"/v5/public/inverse"}' >/dev/null
wait "$RC"
check "fault reset is a TCP RST" test "$(cat "$TMP/raw")" = RST
rm -f "$TMP/ready"
$CHECK rawclose "$PORT" /v5/public/inverse "$TMP/ready" >"$TMP/raw" &
RC=$!
wait_until_exists "$TMP/ready"
ctl POST /fault '{"kind":"close","path":"/v5/public/inverse"}' >/dev/null
wait "$RC"
check "fault close sends a close frame" test "$(cat "$TMP/raw")" = CLOSE-FRAME

fault_client
ctl POST /fault '{"kind":"close","code":1001,"path":"/v5/public/linear"}' >/dev/null
wait "$FC"
check "fault close: close frame 1001" grep -q '^#CLOSED code=1001' "$TMP/f"

for what in invalid_json truncated binary oversized unknown_topic wrong_shape; do
    fault_client 4 --count 60
    ctl POST /fault "{\"kind\":\"garbage\",\"what\":\"$what\"}" >/dev/null
    wait "$FC"
    case $what in
    binary) check "garbage binary frame" grep -q '^#BINARY len=64' "$TMP/f" ;;
    oversized) check "garbage oversized frame (2 MiB)" grep -q '^#TEXT len=2097152' "$TMP/f" ;;
    unknown_topic) check "garbage unknown topic" grep -q '"topic":"unknownTopic.BTCUSDT"' "$TMP/f" ;;
    wrong_shape) check "garbage wrong shape (valid JSON)" grep -q '"data":"not an object"' "$TMP/f" ;;
    *) check "garbage $what: exactly one frame is not JSON" test "$($CHECK json "$TMP/f")" = 1 ;;
    esac
done

# stall pongs and data on open connections, then resume
start_sim --rate 20
cl_bg "$TMP/f" /v5/public/linear --send "$(sub '"tickers.BTCUSDT"')" --ping-every 0.2 --timeout 5
wait_for "$TMP/f" '"ret_msg":"pong"'
ctl POST /fault '{"kind":"stall_pongs"}' >/dev/null
ctl POST /fault '{"kind":"stall_data","path":"/v5/public/linear"}' >/dev/null
sleep 0.3
p1=$(grep -c '"pong"' "$TMP/f"); d1=$(grep -c '"topic"' "$TMP/f")
sleep 1
p2=$(grep -c '"pong"' "$TMP/f"); d2=$(grep -c '"topic"' "$TMP/f")
check "fault stall_pongs: pings go unanswered" test "$p1" = "$p2"
check "fault stall_data: no data while stalled" test "$d1" = "$d2"
check "stalled pings are logged as unanswered" test "$(ctl GET /clients | jv '
any(r["op"] == "ping" and not r["answered"] for c in j["clients"] for r in c["log"])')" = True
cl /v5/public/linear --send '{"req_id":"s1","op":"ping"}' --count 1 --timeout 2 >"$TMP/a"
check "a new connection is not stalled" grep -q '"ret_msg":"pong"' "$TMP/a"
ctl POST /fault '{"kind":"resume"}' >/dev/null
sleep 0.7
check "fault resume: pongs again" test "$(grep -c '"pong"' "$TMP/f")" -gt "$p2"
check "fault resume: data again" test "$(grep -c '"topic"' "$TMP/f")" -gt "$d2"
kill "$FC" 2>/dev/null; wait "$FC" 2>/dev/null

# refuse the next subscribe and the next auth
ctl POST /refuse '{"next":"subscribe","count":1}' >/dev/null
cl /v5/public/linear --send "$(sub '"tickers.BTCUSDT"')" --send "$(sub '"tickers.ETHUSDT"')" --count 2 | grep -v '"topic"' >"$TMP/a"
check "refuse subscribe: next subscribe fails, the one after succeeds" test \
    "$(jv 'j["success"]' < <(nth "$TMP/a" 1)) $(jv 'j["success"]' < <(nth "$TMP/a" 2))" = "False True"
ctl POST /refuse '{"next":"auth"}' >/dev/null
cl /v5/private --auth "$KEY:$SECRET" --count 1 >"$TMP/a"
check "refuse auth: a correct auth fails once" $CHECK ack "$DATA" 4 "$(nth "$TMP/a" 1)"
cl /v5/private --auth "$KEY:$SECRET" --count 1 >"$TMP/a"
check "refuse auth: the next auth succeeds" $CHECK ack "$DATA" 1 "$(nth "$TMP/a" 1)"

# skip an orderbook update id
cl_bg "$TMP/f" /v5/public/linear --send "$(sub '"orderbook.50.BTCUSDT"')" --count-data 20 --timeout 5
wait_for "$TMP/f" '"type":"delta"'
ctl POST /skip_u '{"topic":"orderbook.50.BTCUSDT"}' >"$TMP/r"
wait "$FC"
gaps=$(grep '"topic":"orderbook' "$TMP/f" | $PY -c '
import json,sys
us=[json.loads(l)["data"]["u"] for l in sys.stdin]
print(sum(1 for a,b in zip(us,us[1:]) if b-a==2), sum(1 for a,b in zip(us,us[1:]) if b-a not in (1,2)))')
check "skip_u: exactly one u gap of 2, no other gap" test "$gaps" = "1 0"

# ---------------------------------------------------------------- stats and log
ctl GET /stats >"$TMP/stats.json"
check "GET /stats counts frames per topic" test "$(jv 'j["topics"]["orderbook.50.BTCUSDT"]["frames"] > 0' <"$TMP/stats.json")" = True
ctl POST /reset-log >/dev/null
check "POST /reset-log forgets closed clients" test "$(ctl GET /clients | jv 'len(j["clients"])')" = 0

# ---------------------------------------------------------------- REST
rest() { # rest SECRET [QUERY] [TS]
    local ts=${3:-$(($(date +%s%N) / 1000000))} q=${2:-accountType=UNIFIED}
    local sign; sign=$(printf '%s' "$ts$KEY""5000$q" | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //')
    curl -s "http://127.0.0.1:$PORT/v5/account/wallet-balance?$q" -H "X-BAPI-API-KEY: $KEY" \
        -H "X-BAPI-TIMESTAMP: $ts" -H "X-BAPI-RECV-WINDOW: 5000" -H "X-BAPI-SIGN: $sign"
}
rest "$SECRET" >"$TMP/r"
check "REST wallet-balance with a right signature: retCode 0" test "$(jv 'j["retCode"]' <"$TMP/r")" = 0
check "REST reply has the sample's shape" $PY -c '
import json,sys
a=json.load(open(sys.argv[1])); b=json.loads(open(sys.argv[2]).readline())
assert set(a)==set(b) and set(a["result"]["list"][0])==set(b["result"]["list"][0]), "shape"' "$TMP/r" "$DATA/rest-wallet-balance.jsonl"
rest wrong-secret >"$TMP/r"
check "REST with a wrong signature: retCode 10004 error sign" test \
    "$(jv '(j["retCode"], j["retMsg"].startswith("error sign!"))' <"$TMP/r")" = "(10004, True)"
curl -s "http://127.0.0.1:$PORT/v5/account/wallet-balance?accountType=UNIFIED" -H "X-BAPI-API-KEY: nokey" \
    -H "X-BAPI-TIMESTAMP: 1" -H "X-BAPI-SIGN: x" >"$TMP/r"
check "REST with an unknown key: retCode 10003" test "$(jv 'j["retCode"]' <"$TMP/r")" = 10003
rest "$SECRET" accountType=UNIFIED 1000 >"$TMP/r"
check "REST with a stale timestamp: retCode 10002" test "$(jv 'j["retCode"]' <"$TMP/r")" = 10002

check "upgrade on an unknown path is refused" bash -c "! '$CLIENT' --url ws://127.0.0.1:$PORT/v5/public/nope --count 1 --timeout 2 | grep -q '^#CONNECTED'"

# ---------------------------------------------------------------- limits
start_sim --rate 0.001 --symbols any
args=$(seq -f '"kline.1.SYMBOLNUMBER%05g"' 1 1100 | paste -sd,)
cl /v5/public/linear --send "$(sub "$args")" --count 1 >"$TMP/a"
check "public: args over 21000 characters refused" test "$(nth "$TMP/a" 1 | jv 'j["ret_msg"]')" = \
    "error:args length exceeds 21000,topic:kline.1.SYMBOLNUMBER00841"
# 1000 topics of 26 characters: 807 fit in 21000, the rest are failTopics
args=$(seq -f '"tickers.BTC-27DEC25-%04g-C"' 1 1000 | paste -sd,)
cl /v5/public/option --send "$(sub "$args")" --count 1 >"$TMP/a"
check "option: per-topic failTopics past the 21000 characters" test \
    "$(nth "$TMP/a" 1 | jv '(len(j["data"]["successTopics"]), len(j["data"]["failTopics"]))')" = \
    "(807, 193)"

# ---------------------------------------------------------------- load mode
start_sim --rate max --count 20000
cl /v5/public/linear --send "$(sub '"publicTrade.BTCUSDT","orderbook.50.BTCUSDT","tickers.ETHUSDT"')" \
    --quiet --bench --count-data 60000 --timeout 20 >"$TMP/b"
check "load: count 20000 x 3 topics received, seqs contiguous" test \
    "$(grep '^#BENCH' "$TMP/b" | cut -c8- | jv '(j["events"], j["gaps"], sorted(t["last"] for t in j["topics"]))')" = \
    "(60000, 0, [20000, 20000, 20000])"
cl /v5/public/linear --send "$(sub '"publicTrade.BTCUSDT"')" --quiet --bench --idle 1 --timeout 20 >"$TMP/b"
check "load: exactly N, then silence" test "$(grep '^#BENCH' "$TMP/b" | cut -c8- | jv 'j["data_frames"]')" = 20000
cl /v5/public/spot --conns 3 --send "$(sub '"publicTrade.BTCUSDT"')" --quiet --bench --count-data 60000 --timeout 20 >"$TMP/b"
check "load: 3 connections, N each, per-connection seqs" test \
    "$(grep '^#BENCH' "$TMP/b" | cut -c8- | jv '(j["gaps"], [t["last"] for t in j["topics"]])')" = \
    "(0, [20000, 20000, 20000])"
start_sim --rate max --count 1005 --batch 10
cl /v5/public/linear --send "$(sub '"publicTrade.BTCUSDT"')" --quiet --bench --idle 1 --timeout 10 >"$TMP/b"
check "load: --batch 10, count 1005 -> 101 frames, 1005 trades" test \
    "$(grep '^#BENCH' "$TMP/b" | cut -c8- | jv '(j["data_frames"], j["events"], j["gaps"])')" = "(101, 1005, 0)"
start_sim --rate 50 --duration 1
cl /v5/public/linear --send "$(sub '"tickers.BTCUSDT"')" --quiet --bench --idle 1.5 --timeout 10 >"$TMP/b"
n=$(grep '^#BENCH' "$TMP/b" | cut -c8- | jv 'j["data_frames"]')
check "load: --rate 50 --duration 1 -> about 50 frames ($n)" test "$n" -ge 40 -a "$n" -le 60
kill -TERM "$SIM_PID"; wait "$SIM_PID"; SIM_PID=
check "SIGTERM prints the per-topic STATS line" grep -q '^STATS {"total_frames":[1-9]' "$TMP/sim.out"

# ---------------------------------------------------------------- idle timeout
start_sim --idle-timeout 1
start=$(date +%s%N)
cl /v5/public/linear --timeout 6 >"$TMP/a"
el=$((($(date +%s%N) - start) / 1000000))
check "idle client dropped after --idle-timeout 1 (${el} ms)" test "$el" -lt 4000 -a "$(grep -c '^#CLOSED' "$TMP/a")" = 1
cl /v5/public/linear --ping-every 0.4 --timeout 2.5 >"$TMP/a"
check "a client that pings is not dropped" test "$(grep -c '^#CLOSED' "$TMP/a")" = 0
start_sim
start=$(date +%s%N)
cl "/v5/private?max_active_time=1s" --timeout 6 >"$TMP/a"
el=$((($(date +%s%N) - start) / 1000000))
check "private ?max_active_time=1s drops an idle client (${el} ms)" test "$el" -lt 4000 -a "$(grep -c '^#CLOSED' "$TMP/a")" = 1

# ---------------------------------------------------------------- wss
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
if start_sim --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" && grep -q '^LISTEN wss' "$TMP/sim.out"; then
    ok "wss: starts with a self-signed certificate"
    "$CLIENT" --url "wss://127.0.0.1:$PORT/v5/public/linear" --ca "$TMP/cert.pem" --send '{"op":"ping"}' --count 1 >"$TMP/a"
    check "wss: pong over TLS with --ca" $CHECK ack "$DATA" 6 "$(nth "$TMP/a" 1)"
    "$CLIENT" --url "wss://127.0.0.1:$PORT/v5/public/linear" --send '{"op":"ping"}' --count 1 --timeout 3 >"$TMP/a" 2>/dev/null
    check "wss: refused without the CA (verification on)" grep -q '^#ERROR' "$TMP/a"
    ts=$(($(date +%s%N) / 1000000))
    sign=$(printf '%s' "$ts$KEY""5000accountType=UNIFIED" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
    curl -s --cacert "$TMP/cert.pem" "https://127.0.0.1:$PORT/v5/account/wallet-balance?accountType=UNIFIED" \
        -H "X-BAPI-API-KEY: $KEY" -H "X-BAPI-TIMESTAMP: $ts" -H "X-BAPI-RECV-WINDOW: 5000" -H "X-BAPI-SIGN: $sign" >"$TMP/r"
    check "https REST wallet-balance" test "$(jv 'j["retCode"]' <"$TMP/r")" = 0
else
    ko "wss start: $(cat "$TMP/sim.err")"
fi
stop_sim

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
