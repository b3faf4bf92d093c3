#!/usr/bin/env bash
# The postgres module against a real PostgreSQL 15 cluster (private, on a
# free port), the Bybit simulator and the real daemon:
#   - migrations on an empty database, and again on a migrated one (the
#     second start applies nothing, schema_migrations unchanged);
#   - subscriptions made through the API are stored, survive a restart and
#     are subscribed again at the simulator;
#   - wallet messages land in account_balances and account_margin_balances
#     within 1 s, decimals exactly as the sample's text; positions too;
#   - a row refused for its data is skipped alone, the rest written;
#   - GET /api/v1/balances and /history with each filter, pagination and
#     the parameter errors;
#   - PostgreSQL stopped (pg_ctl stop -m immediate) mid-stream: health shows
#     the database down, the stream, the other sink and the API go on, and
#     the rows received meanwhile arrive once it is back;
#   - POST /api/v1/balances/sync stores what the simulated REST call returned.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib/services.sh"
t_tmpdir
echo "postgres"

KEY=it-api-key
BYBIT_KEY=testkey
BYBIT_SECRET=test-secret
SAMPLES=$DATA/bybit/private.jsonl
REST_SAMPLE=$DATA/bybit/rest-wallet-balance.jsonl

cleanup_all() {
    svc_postgres_stop immediate
    t_cleanup
}
trap cleanup_all EXIT

if ! svc_postgres_start "$T/db" >"$T/pg-start.out" 2>&1; then
    cat "$T/pg-start.out" >&2
    fail "PostgreSQL cluster starts"
    t_summary
    exit 1
fi
ok "PostgreSQL cluster on 127.0.0.1:$PG_PORT"

q() {
    psql -X -q -t -A -h 127.0.0.1 -p "$PG_PORT" -U postgres -d wsgw -c "$1" 2>>"$T/psql.err"
}

sim_start --api-key "$BYBIT_KEY" --api-secret "$BYBIT_SECRET" --rate 5 || {
    fail "simulator starts"
    t_summary
    exit 1
}
API_PORT=$(free_port)
API=http://127.0.0.1:$API_PORT

# api METHOD PATH [BODY]: the body in $T/body, prints the status code.
api() {
    local args=(-s -o "$T/body" -w '%{http_code}' -X "$1" -H "X-API-Key: $KEY")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
    curl "${args[@]}" "$API$2"
}
body() { jq -r "$1" "$T/body"; }
# jcheck URL FILTER [CURL ARGS...]: the JSON at URL satisfies FILTER; false
# when nothing answers (jq -e alone is true on empty input).
jcheck() {
    local url=$1 filter=$2 out
    shift 2
    out=$(curl -s "$@" "$url") && [ -n "$out" ] && jq -e "$filter" >/dev/null <<<"$out"
}

cat >"$T/wsgw.yaml" <<YAML
log: { level: info, format: json, file: stderr }
daemon: { state_dir: $T/state, drain_timeout: 5s }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    private_url: $SIM_WS/v5/private
    rest_url: http://127.0.0.1:$SIM_PORT
    api_key: $BYBIT_KEY
    api_secret: $BYBIT_SECRET
    backoff_min: 200ms
    backoff_max: 1s
sinks:
  - { name: out, module: file, path: $T/events.jsonl, flush_interval: 100ms }
  - name: db
    module: postgres
    dsn: "$PG_DSN"
    flush_interval: 200ms
    retry_min: 100ms
    retry_max: 1s
services:
  - { name: admin, module: http_admin, listen: ["127.0.0.1:$API_PORT"], api_keys: ["$KEY"] }
routes:
  - { from: bybit, classes: all, to: [out] }
  - { from: bybit, classes: [balances, positions], to: [db] }
store: db
YAML
mkdir -p "$T/state"

# quiet CMD...: run it with its output in $T/quiet.out (shown on failure).
quiet() {
    "$@" >"$T/quiet.out" 2>&1 || { sed 's/^/    /' "$T/quiet.out"; return 1; }
}
check "wsgw -t accepts the test configuration" quiet "$WSGW_BIN" -t -c "$T/wsgw.yaml"
check "wsgw -t accepts conf/full.yaml" quiet env BYBIT_API_KEY=k \
    BYBIT_API_SECRET=s WSGW_STATE_DIR="$T/state" "$WSGW_BIN" -t -c "$TOP/conf/full.yaml"

ready() { jcheck "$API/health" '.database_connected == true'; }

# ---- 1. migrations on an empty database -----------------------------------
daemon_start "$T/wsgw.yaml"
if wait_for 20 ready; then ok "daemon up, database connected"; else
    fail "daemon up, database connected" "$(tail -5 "$T/wsgw.log")"
    t_summary
    exit 1
fi
nsql=$(ls "$TOP"/modules/postgres/sql/*.sql | wc -l)
check "every migration recorded in schema_migrations" \
    test "$(q 'SELECT count(*) FROM schema_migrations')" = "$nsql"
check "001_init recorded by name" \
    test "$(q 'SELECT name FROM schema_migrations WHERE version = 1')" = init
check "the four tables exist" test "$(q "SELECT count(*) FROM pg_tables
    WHERE tablename IN ('subscriptions', 'account_balances',
    'account_margin_balances', 'positions')")" = 4
check "the start-up log names the applied migration" \
    grep -q 'applied migration 001_init' "$T/wsgw.log"
q 'SELECT version, name, applied_at FROM schema_migrations ORDER BY 1' >"$T/mig1"

# Three daemons migrating one empty database at once (no store: the
# asynchronous writer migrates): the advisory lock serializes them.
q 'CREATE DATABASE wsgw_race' >/dev/null
race_pids=()
for i in 1 2 3; do
    mkdir -p "$T/race$i"
    cat >"$T/race$i.yaml" <<YAML
log: { level: info, format: json, file: stderr }
daemon: { state_dir: $T/race$i }
sinks:
  - { name: db, module: postgres, api: false,
      dsn: "postgresql://postgres@127.0.0.1:$PG_PORT/wsgw_race" }
YAML
done
for i in 1 2 3; do
    "$WSGW_BIN" -c "$T/race$i.yaml" 2>"$T/race$i.log" &
    race_pids+=($!)
    T_PIDS+=($!)
done
all_ready() { test "$(grep -l 'writer ready' "$T"/race?.log 2>/dev/null | wc -l)" = 3; }
check "three daemons racing on an empty database all get ready" wait_for 30 all_ready
kill -TERM "${race_pids[@]}" 2>/dev/null
wait "${race_pids[@]}" 2>/dev/null
check "the race applied each migration once" test "$(psql -X -q -t -A -h 127.0.0.1 \
    -p "$PG_PORT" -U postgres -d wsgw_race -c 'SELECT count(*) FROM schema_migrations')" = "$nsql"
check "... logged as applied by exactly one daemon" \
    test "$(cat "$T"/race?.log | grep -c 'applied migration 001_init')" = 1

# Test-only column: when each row was committed, to measure receipt -> write.
q "ALTER TABLE account_balances ADD COLUMN it_written_at timestamptz
   DEFAULT clock_timestamp();
   ALTER TABLE account_margin_balances ADD COLUMN it_written_at timestamptz
   DEFAULT clock_timestamp()"

# ---- 2. subscriptions through the API are stored ---------------------------
for ch in balance position; do
    code=$(api POST /api/v1/subscriptions \
        "{\"channel_type\":\"$ch\",\"requesting_service\":\"it-pg\"}")
    if [ "$code" = 201 ]; then ok "subscribe $ch: 201"; else
        fail "subscribe $ch" "$code $(cat "$T/body")"
    fi
    eval "SUB_$ch=\$(body .id)"
done
code=$(api POST /api/v1/subscriptions \
    '{"channel_type":"trades","symbol":"BTCUSDT","requesting_service":"it-pg"}')
check "subscribe trades BTCUSDT: 201" test "$code" = 201
stored() { test "$(q "SELECT count(*) FROM subscriptions
    WHERE requesting_service = 'it-pg' AND is_active")" = 3; }
check "the three subscriptions are in the subscriptions table" wait_for 5 stored
check "a stored row carries wsgw's columns" test \
    "$(q "SELECT channel_type || '|' || topic || '|' || coalesce(symbol, 'null')
          FROM subscriptions WHERE id = '$SUB_balance'")" = "balance|wallet|null"
active() { test "$(q "SELECT status FROM subscriptions WHERE id = '$SUB_balance'")" = active; }
check "the wallet ack is stored as status active" wait_for 10 active

# ---- 3. wallet messages in both tables, exact text, within 1 s --------------
# The simulator replays private.jsonl line 12 (3 coins) with a fresh
# creationTime; amounts are the sample's text.
wallet=$(sed -n 12p "$SAMPLES")
has_rows() { test "$(q 'SELECT count(*) FROM account_balances')" -ge 6; }
check "wallet rows arrive" wait_for 10 has_rows
for coin in USDC BTC USDT; do
    want=$(jq -r --arg c "$coin" '.data[0].coin[] | select(.coin == $c) |
        [.walletBalance, .availableToWithdraw, .locked, .equity, .usdValue,
         (.marginCollateral | if . then "t" else "f" end), .totalOrderIM,
         .totalPositionIM, .cumRealisedPnl] | join("|")' <<<"$wallet")
    got=$(q "SELECT concat_ws('|', wallet_balance, available_balance, frozen,
        equity, usd_value, margin_collateral, total_order_im,
        total_position_im, cum_realised_pnl) FROM account_balances
        WHERE coin = '$coin' ORDER BY id DESC LIMIT 1")
    if [ "$got" = "$want" ]; then ok "account_balances $coin = sample text ($want)"; else
        fail "account_balances $coin" "got '$got', want '$want'"
    fi
done
want=$(jq -r '.data[0] | [.accountType, .totalEquity, .totalWalletBalance,
    .totalMarginBalance, .totalAvailableBalance, .totalInitialMargin,
    .totalMaintenanceMargin, "USD", .accountIMRate, .accountMMRate,
    .totalPerpUPL] | join("|")' <<<"$wallet")
got=$(q "SELECT concat_ws('|', account_type, total_equity, total_wallet_balance,
    total_margin_balance, total_available_balance, total_initial_margin,
    total_maintenance_margin, base_currency, account_im_rate, account_mm_rate,
    total_perp_upl) FROM account_margin_balances ORDER BY id DESC LIMIT 1")
if [ "$got" = "$want" ]; then ok "account_margin_balances = sample text"; else
    fail "account_margin_balances" "got '$got', want '$want'"
fi
settled() { test "$(q "SELECT count(*) FROM account_margin_balances
    WHERE it_written_at < now() - interval '500 ms'")" -ge 2; }
check "account rows settle" wait_for 10 settled
check "one account row and one row per coin (3) for each wallet message" test \
    "$(q "SELECT bool_and(n = 3) FROM (SELECT (SELECT count(*) FROM
          account_balances b WHERE b.event_id = m.event_id) AS n
          FROM account_margin_balances m
          WHERE m.it_written_at < now() - interval '500 ms') x")" = t
slowest=$(q "SELECT max(extract(epoch FROM it_written_at - received_at))
    FROM (SELECT it_written_at, received_at FROM account_balances UNION ALL
          SELECT it_written_at, received_at FROM account_margin_balances) r
    WHERE it_written_at IS NOT NULL")
check "every balance row written within 1 s of receipt (slowest ${slowest}s)" \
    awk -v s="$slowest" 'BEGIN { exit !(s != "" && s < 1.0) }'
has_pos() { test "$(q 'SELECT count(*) FROM positions')" -ge 1; }
check "position events become positions rows" wait_for 10 has_pos
check "a positions row keeps the raw item with its topic" test \
    "$(q "SELECT raw->>'topic' FROM positions ORDER BY id DESC LIMIT 1")" = position
check "position decimals are the sample's text" test \
    "$(q "SELECT cum_realised_pnl FROM positions WHERE category = 'linear'
          ORDER BY id DESC LIMIT 1")" = "$(sed -n 7p "$SAMPLES" |
        jq -r '.data[0].cumRealisedPnl')"

# ---- 4. a row refused for its data is skipped alone -------------------------
q "ALTER TABLE account_balances ADD CONSTRAINT it_no_usdc
   CHECK (coin <> 'USDC') NOT VALID"
# Every insert from here on sees the constraint.
last=$(q 'SELECT max(id) FROM account_balances')
more_usdt() { test "$(q "SELECT count(*) FROM account_balances
    WHERE id > $last AND coin = 'USDT'")" -ge 2; }
check "rows of the same batch are written around a refused one" \
    wait_for 10 more_usdt
check "the refused rows are not written" \
    test "$(q "SELECT count(*) FROM account_balances WHERE id > $last AND coin = 'USDC'")" = 0
check "the refused row is logged with SQLSTATE and event id" \
    grep -q 'refused (SQLSTATE 23514.*skipped' "$T/wsgw.log"
check "wsgw_postgres_rows_failed_total counts it" bash -c \
    "curl -s '$API/metrics' | grep -q -E '^wsgw_postgres_rows_failed_total\\{sink=\"db\"\\} [1-9]'"
q 'ALTER TABLE account_balances DROP CONSTRAINT it_no_usdc'

# ---- 5. restart: nothing migrated again, subscriptions back ----------------
check "SIGTERM: the daemon drains and exits 0" daemon_stop
curl -s -X POST "$SIM_CTL/reset-log" >/dev/null
log_lines=$(wc -l <"$T/wsgw.log")
daemon_start "$T/wsgw.yaml"
check "restarted, database connected" wait_for 20 ready
q 'SELECT version, name, applied_at FROM schema_migrations ORDER BY 1' >"$T/mig2"
check "second start: schema_migrations unchanged" cmp -s "$T/mig1" "$T/mig2"
check "second start: no migration applied" bash -c \
    "tail -n +$((log_lines + 1)) '$T/wsgw.log' | grep -q 'loaded [0-9]* subscriptions' &&
     ! tail -n +$((log_lines + 1)) '$T/wsgw.log' | grep -q 'applied migration'"
code=$(api GET "/api/v1/subscriptions?requesting_service=it-pg")
check "the subscriptions survived the restart (API)" \
    test "$code" = 200 -a "$(body '.total')" = 3
check "the same ids" bash -c "jq -e --arg b '$SUB_balance' --arg p '$SUB_position' \
    '[.subscriptions[].id] | index(\$b) != null and index(\$p) != null' '$T/body' >/dev/null"
resubscribed() {
    jcheck "$SIM_CTL/clients" '[.clients[] | select(.open and
        .path == "/v5/private") | .subscriptions[]] as $s |
        ($s | index("wallet")) != null and ($s | index("position")) != null'
}
check "the simulator sees wallet and position subscribed again" wait_for 10 resubscribed
resubscribed_pub() {
    jcheck "$SIM_CTL/clients" '[.clients[] | select(.open) |
        .subscriptions[]] | index("publicTrade.BTCUSDT") != null'
}
check "... and publicTrade.BTCUSDT" wait_for 10 resubscribed_pub

# ---- 6. PostgreSQL down mid-stream ------------------------------------------
wallet_lines() { grep -c '"topic":"wallet"' "$T/events.jsonl" 2>/dev/null || echo 0; }
has_new_rows() { test "$(q "SELECT count(*) FROM account_balances
    WHERE received_at > now() - interval '2 seconds'")" -gt 0; }
check "wallet rows flowing again after the restart" wait_for 10 has_new_rows
t_down=$(date +%s.%N)
svc_postgres_stop immediate
db_down() { jcheck "$API/health" '.database_connected == false'; }
check "health shows the database down" wait_for 10 db_down
check "/health is 503 while the required database is down" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" = 503
code=$(api GET /api/v1/subscriptions)
check "/api/v1/subscriptions still answers 200" test "$code" = 200
code=$(api GET /api/v1/balances)
check "GET /api/v1/balances: 503 DATABASE_UNAVAILABLE" \
    test "$code" = 503 -a "$(body .code)" = DATABASE_UNAVAILABLE
code=$(api GET "/api/v1/balances/history?coin=USDT")
check "GET /api/v1/balances/history: 503" test "$code" = 503
code=$(api POST /api/v1/subscriptions \
    '{"channel_type":"ticker","symbol":"ETHUSDT","requesting_service":"it-pg"}')
check "a subscription change while the store is down: 503" test "$code" = 503
n1=$(wallet_lines)
sleep 1.5
n2=$(wallet_lines)
check "the stream and the file sink go on ($n1 -> $n2 wallet events)" test "$n2" -gt "$n1"
buffered() {
    curl -s "$API/metrics" |
        awk '/^wsgw_postgres_buffered_rows\{sink="db"\}/ { exit !($2 > 0) }'
}
check "rows wait in the buffer (wsgw_postgres_buffered_rows > 0)" buffered
status_err() { api GET /api/v1/status >/dev/null; body '.. | objects | select(.module? == "postgres") | .last_error' | grep -q .; }
check "status reports the last error" status_err
svc_postgres_start_again
t_up=$(date +%s.%N)
check "health shows the database back" wait_for 20 ready
arrived() { test "$(q "SELECT count(*) FROM account_balances
    WHERE received_at > to_timestamp($t_down) + interval '200 ms'
      AND received_at < to_timestamp($t_up)")" -gt 0; }
check "rows received during the outage arrive after it" wait_for 15 arrived
check "... in the account table too" test "$(q "SELECT count(*) FROM
    account_margin_balances WHERE received_at > to_timestamp($t_down) +
    interval '200 ms' AND received_at < to_timestamp($t_up)")" -gt 0

# ---- 7. the balance endpoints -----------------------------------------------
# Stop the wallet stream so the numbers hold still.
code=$(api DELETE "/api/v1/subscriptions/$SUB_balance")
check "unsubscribe balance: 200" test "$code" = 200
sleep 1.5
q 'SELECT count(*) FROM account_balances' >"$T/c1"
sleep 0.6
q 'SELECT count(*) FROM account_balances' >"$T/c2"
check "the wallet stream stopped" cmp -s "$T/c1" "$T/c2"

ncoins=$(q 'SELECT count(DISTINCT coin) FROM account_balances')
code=$(api GET /api/v1/balances)
check "GET /api/v1/balances: 200" test "$code" = 200
check "latest: one entry per coin, total = coins ($ncoins)" \
    test "$(body '.total')" = "$ncoins" -a "$(body '.balances | length')" = "$ncoins"
check "latest: ordered by coin" \
    test "$(body '[.balances[].coin] | join(",")')" = "$(q "SELECT string_agg(coin, ','
        ORDER BY coin) FROM (SELECT DISTINCT coin FROM account_balances) c")"
check "latest: amounts are JSON strings, never numbers" \
    test "$(body '[.balances[] | .wallet_balance, .equity | type] | unique | join(",")')" = string
want=$(q "SELECT wallet_balance || '|' || total_order_im || '|' || total_position_im
    FROM account_balances WHERE coin = 'USDT' ORDER BY event_timestamp DESC, id DESC LIMIT 1")
check "latest: USDT = the newest stored row's text ($want)" test \
    "$(body '.balances[] | select(.coin == "USDT") | [.wallet_balance, .total_order_im, .total_position_im] | join("|")')" = "$want"
check "latest: margin_balance is the newest account row" test \
    "$(body '.margin_balance | [.total_equity, .base_currency, .account_type] | join("|")')" = \
    "$(q "SELECT total_equity || '|' || base_currency || '|' || account_type FROM
          account_margin_balances ORDER BY event_timestamp DESC, id DESC LIMIT 1")"
iso_ms() {
    body '.balances[0].event_timestamp, .balances[0].received_at' |
        grep -c -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' |
        grep -q '^2$'
}
check "latest: times are ISO-8601 UTC with ms" iso_ms
code=$(api GET "/api/v1/balances?coin=usdt")
check "latest ?coin=usdt: only USDT" \
    test "$code" = 200 -a "$(body '[.balances[].coin] | join(",")')" = USDT -a "$(body .total)" = 1
code=$(api GET "/api/v1/balances?limit=1&offset=1")
check "latest ?limit=1&offset=1: the second coin, total still all" test \
    "$(body '[.balances[].coin] | join(",")')" = "$(q "SELECT coin FROM (SELECT DISTINCT
        coin FROM account_balances) c ORDER BY coin OFFSET 1 LIMIT 1")" -a "$(body .total)" = "$ncoins"

nusdt=$(q "SELECT count(*) FROM account_balances WHERE coin = 'USDT'")
code=$(api GET "/api/v1/balances/history?coin=USDT&limit=1000")
check "history ?coin=USDT: total = stored rows ($nusdt)" \
    test "$code" = 200 -a "$(body .total)" = "$nusdt"
check "history: every row is USDT, with id and trace_id" \
    test "$(body '[.balances[] | select(.coin == "USDT" and (.id | type) == "number" and (.trace_id | type) == "string")] | length')" = "$(body '.balances | length')"
check "history: newest first" bash -c "jq -e '[.balances[].event_timestamp] as \$t |
    \$t == (\$t | sort | reverse)' '$T/body' >/dev/null"
api GET "/api/v1/balances/history?coin=USDT&limit=2&offset=0" >/dev/null
p1=$(body '[.balances[].id] | join(",")')
api GET "/api/v1/balances/history?coin=USDT&limit=2&offset=2" >/dev/null
p2=$(body '[.balances[].id] | join(",")')
want=$(q "SELECT string_agg(id::text, ',') FROM (SELECT id FROM account_balances
    WHERE coin = 'USDT' ORDER BY event_timestamp DESC, id DESC LIMIT 4) x")
check "history pagination: limit=2 pages follow each other ($p1 / $p2)" \
    test "$p1,$p2" = "$want"
t0=$(q "SELECT to_char(event_timestamp AT TIME ZONE 'UTC',
    'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM account_balances WHERE coin = 'USDT'
    ORDER BY id LIMIT 1 OFFSET 2")
code=$(api GET "/api/v1/balances/history?from=$t0&to=$t0")
check "history from=to=$t0 (inclusive): exactly that message's coins" test \
    "$code" = 200 -a "$(body .total)" = "$(q "SELECT count(*) FROM account_balances
        WHERE event_timestamp = '$t0'")" -a "$(body '[.balances[].event_timestamp] | unique | join(",")')" = "$t0"
code=$(api GET "/api/v1/balances/history?coin=USDT&from=$t0")
check "history from only" test "$(body .total)" = "$(q "SELECT count(*) FROM
    account_balances WHERE coin = 'USDT' AND event_timestamp >= '$t0'")"
code=$(api GET "/api/v1/balances/history?coin=USDT&to=$t0")
check "history to only" test "$(body .total)" = "$(q "SELECT count(*) FROM
    account_balances WHERE coin = 'USDT' AND event_timestamp <= '$t0'")"
code=$(api GET "/api/v1/balances/history?coin=USDT&offset=100000")
check "history past the end: empty page, total kept" \
    test "$code" = 200 -a "$(body '.balances | length')" = 0 -a "$(body .total)" = "$nusdt"
code=$(api GET "/api/v1/balances/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")
check "history from > to: 400 INVALID_TIME_RANGE" \
    test "$code" = 400 -a "$(body .code)" = INVALID_TIME_RANGE -a "$(body .detail.code)" = INVALID_TIME_RANGE
for bad in "limit=0" "limit=1001" "limit=x" "offset=-1" "from=yesterday" "to=2026-13-01" "coin=US-DT"; do
    code=$(api GET "/api/v1/balances/history?$bad")
    check "history ?$bad: 400 INVALID_PARAMETER" \
        test "$code" = 400 -a "$(body .code)" = INVALID_PARAMETER
done
code=$(api GET "/api/v1/balances?limit=0")
check "latest ?limit=0: 400 INVALID_PARAMETER" test "$code" = 400
check "the balance endpoints need the API key" test \
    "$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/balances")" = 401
check "the routes are in /openapi.json" jcheck "$API/openapi.json" \
    '.paths["/api/v1/balances/history"].get.parameters | length == 5' -H "X-API-Key: $KEY"

# ---- 8. POST /api/v1/balances/sync ------------------------------------------
rest_equity=$(jq -r '.result.list[0].totalEquity' "$REST_SAMPLE")
before=$(q "SELECT count(*) FROM account_margin_balances WHERE total_equity = '$rest_equity'")
code=$(api POST /api/v1/balances/sync '{}')
check "POST /api/v1/balances/sync: 200 with the updated coins" \
    test "$code" = 200 -a "$(body '.updated_coins | join(",")')" = "$(jq -r \
        '[.result.list[0].coin[].coin] | join(",")' "$REST_SAMPLE")"
synced() { test "$(q "SELECT count(*) FROM account_margin_balances
    WHERE total_equity = '$rest_equity'")" -gt "$before"; }
check "the synced account totals are stored ($rest_equity)" wait_for 5 synced
want=$(jq -r '.result.list[0].coin[0] | [.coin, .walletBalance, .equity, .locked] | join("|")' "$REST_SAMPLE")
check "the synced coin is stored" test "$(q "SELECT concat_ws('|', coin, wallet_balance,
    equity, frozen) FROM account_balances ORDER BY id DESC LIMIT 1")" = "$want"
check "the simulator saw one signed REST call" jcheck "$SIM_CTL/rest" \
    '[.requests[] | select(.result == "ok")] | length >= 1'

check "SIGTERM after the outage: exits 0" daemon_stop
t_summary
