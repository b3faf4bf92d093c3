#!/usr/bin/env bash
# The daemon's command line and lifecycle: -V, -h, -t on good and broken
# configurations (FILE:LINE:COL), SIGTERM drains and exits 0, SIGHUP
# reopens the log and output files, a second SIGTERM exits at once.
. "$(dirname "$0")/lib.sh"
t_tmpdir
echo "core daemon"
cd "$T"

"$WSGW_BIN" -V >"$T/v.out" 2>&1
check "-V exits 0" test $? = 0
check "-V prints version, ABI and modules" \
    grep -q -E '^module ABI [0-9]+\.[0-9]+' "$T/v.out"
check "-V lists the file module" grep -q 'modules built:.*file' "$T/v.out"
check "-h prints usage" bash -c "'$WSGW_BIN' -h | grep -q 'usage: wsgw'"
check "an unknown flag exits 1" bash -c "! '$WSGW_BIN' -Z 2>/dev/null"

check "-t accepts conf/wsgw.yaml" \
    "$WSGW_BIN" -t -c "$TOP/conf/wsgw.yaml"

# Each broken file: exit 1 and the expected FILE:LINE:COL sentence.
while read -r file expect; do
    case "$file" in '#'*|'') continue ;; esac
    cp "$TOP/tests/integration/bad/$file" "$T/$file"
    out=$("$WSGW_BIN" -t -c "$file" 2>&1)
    rc=$?
    if [ "$rc" = 1 ] && grep -q -F -- "wsgw: $expect" <<<"$out"; then
        ok "-t $file: $expect"
    else
        fail "-t $file" "exit $rc, got: $(head -2 <<<"$out")"
    fi
done <"$TOP/tests/integration/bad/EXPECTED"

check "an unset \${VAR} is named in the error" bash -c \
    "'$WSGW_BIN' -t -c unset_var.yaml 2>&1 | grep -q WSGW_TEST_SURELY_UNSET_VAR"

# A secret given in the file never appears in an error.
cat >"$T/secret.yaml" <<'YAML'
sources:
  - name: bybit
    module: bybit
    api_key: KEY-VISIBLE
    api_secret: super-secret-value-123
    ping_interval: [1, 2]
YAML
out=$("$WSGW_BIN" -t -c secret.yaml 2>&1)
check "a broken config fails -t" test $? = 1
check "the secret is not printed back" bash -c "! grep -q super-secret-value-123 <<<'$out'"

# Run: a sink-only daemon, log to a file, SIGHUP reopens it.
cat >"$T/run.yaml" <<YAML
log: { level: info, file: $T/run.log }
daemon: { state_dir: $T/state, drain_timeout: 2s }
sinks:
  - { name: out, module: file, path: $T/events.jsonl }
YAML
"$WSGW_BIN" -c run.yaml &
pid=$!
T_PIDS+=("$pid")
check "the daemon logs that it runs" wait_for 10 grep -q '"wsgw .* running' "$T/run.log"
check "log lines are JSON objects with time, level, message" bash -c \
    "head -1 '$T/run.log' | jq -e 'has(\"time\") and has(\"level\") and has(\"message\")' >/dev/null"
mv "$T/run.log" "$T/run.log.1"
kill -HUP "$pid"
check "SIGHUP reopens the log file" wait_for 5 test -s "$T/run.log"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
check "SIGTERM exits 0" test "$rc" = 0
check "the stop is logged" grep -q 'stopped' "$T/run.log"

# A second SIGTERM exits at once: events wait for a broker that is not
# there, so the drain would last drain_timeout (30 s) without it.
sim_start
dead_port=$(free_port)
cat >"$T/drain.yaml" <<YAML
log: { level: info, file: $T/drain.log }
daemon: { state_dir: $T/state2, drain_timeout: 30s }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
sinks:
  - { name: mq, module: rabbitmq, url: "amqp://guest:guest@127.0.0.1:$dead_port/", reconnect_max: 1s }
routes:
  - { from: bybit, classes: all, to: [mq] }
YAML
"$WSGW_BIN" -c drain.yaml &
pid=$!
T_PIDS+=("$pid")
queued() { curl -s "$SIM_CTL/stats" | jq -e '.total_frames > 3' >/dev/null; }
check "events flow towards the absent broker" wait_for 15 queued
kill -TERM "$pid"
check "the first SIGTERM starts the drain" wait_for 5 grep -q 'draining sinks' "$T/drain.log"
check "and the daemon waits for the sink" kill -0 "$pid"
start=$SECONDS
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
check "a second SIGTERM exits at once" test $((SECONDS - start)) -le 2
check "with status 1" test "$rc" = 1
check "and says so" grep -q 'SIGTERM again: exiting now' "$T/drain.log"

t_summary
