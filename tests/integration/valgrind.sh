#!/usr/bin/env bash
# Leaks: the daemon under valgrind, (1) with the embedded default
# conf/wsgw.yaml (no network needed: Bybit is simply unreachable), started
# and stopped with SIGTERM; (2) against the simulator with traffic flowing
# into the file sink and the admin API answering, then SIGTERM. Both must
# exit 0 with no definite or indirect leaks and no memory errors.
. "$(dirname "$0")/lib.sh"
t_tmpdir
echo "valgrind"
command -v valgrind >/dev/null || { fail "valgrind installed"; t_summary; exit 1; }

VG="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30"
export WSGW_NO_DLCLOSE=1 # keep module symbols for the report

run_vg() { # NAME CONF SECONDS [traffic command]
    local name=$1 conf=$2 secs=$3
    shift 3
    WSGW_STATE_DIR=$T/state-$name WSGW_OUTPUT=$T/$name.jsonl \
        $VG --log-file="$T/vg-$name.log" "$WSGW_BIN" -c "$conf" \
        >"$T/$name.out" 2>"$T/$name.err" &
    local pid=$!
    T_PIDS+=("$pid")
    sleep "$secs"
    [ $# -gt 0 ] && "$@"
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    if [ "$rc" = 0 ] && ! grep -q -E 'definitely lost|indirectly lost|Invalid (read|write)|uninitialised' "$T/vg-$name.log"; then
        ok "$name: exit 0, no leaks, no memory errors"
    else
        fail "$name" "exit $rc; $(grep -E 'lost|Invalid|uninit' "$T/vg-$name.log" | head -5)"
        head -60 "$T/vg-$name.log"
    fi
}

export WSGW_API_KEY=vg-test-key
run_vg default "$TOP/conf/wsgw.yaml" 6

sim_start
port=$(free_port)
cat >"$T/traffic.yaml" <<YAML
log: { level: info }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
      - { channel: orderbook, category: linear, symbol: BTCUSDT, depth: 50 }
      - { channel: ticker, category: spot, symbol: BTCUSDT }
sinks:
  - { name: out, module: file, path: $T/traffic.jsonl }
services:
  - { name: admin, module: http_admin, listen: ["127.0.0.1:$port"] }
routes:
  - { from: bybit, classes: all, to: [out] }
YAML
api_calls() {
    curl -s -H "X-API-Key: $WSGW_API_KEY" "http://127.0.0.1:$port/api/v1/subscriptions" >/dev/null
    curl -s -H "X-API-Key: $WSGW_API_KEY" -X POST -d '{"channel_type":"trades","symbol":"ETHUSDT","requesting_service":"vg"}' \
        "http://127.0.0.1:$port/api/v1/subscriptions" >/dev/null
    curl -s "http://127.0.0.1:$port/health" >/dev/null
    curl -s "http://127.0.0.1:$port/metrics" >/dev/null
    curl -s -X POST -H "X-API-Key: $WSGW_API_KEY" -d '{bad json' "http://127.0.0.1:$port/api/v1/subscriptions" >/dev/null
    sleep 3
}
run_vg traffic "$T/traffic.yaml" 8 api_calls
check "events flowed during the traffic run" test -s "$T/traffic.jsonl"
t_summary
