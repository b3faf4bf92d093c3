# tests/integration/lib.sh — shared helpers for the integration tests.
# Source it from a test script:   . "$(dirname "$0")/lib.sh"
#
# Where the binaries are: $WSGW_BUILD (a build directory; default the
# source tree, i.e. an in-tree build). scripts/test sets it to run the
# same tests against the sanitizer build.
#
#   WSGW_BIN, SIM_BIN, SIM_CLIENT, WSGW_MODULE_PATH, TOP, DATA
#   t_tmpdir            a fresh directory (removed at exit), in $T
#   ok NAME / fail NAME [WHY] / check NAME CMD...   count results
#   wait_for SECONDS CMD...    poll CMD every 0.1 s until it succeeds
#   free_port           a free TCP port on 127.0.0.1
#   sim_start [ARGS...] start bybit-sim (port 0), sets SIM_PORT, SIM_CTL,
#                       SIM_PID; SIM_WS=ws://127.0.0.1:$SIM_PORT
#   daemon_start CONF   start core/wsgw -c CONF, log in $T/wsgw.log,
#                       sets WSGW_PID
#   daemon_stop         SIGTERM and wait (returns the exit status)
#   t_summary           prints "N passed, N failed"; exit status

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WSGW_BUILD=${WSGW_BUILD:-$TOP}
WSGW_BIN=$WSGW_BUILD/core/wsgw
SIM_BIN=$WSGW_BUILD/tests/sim/bybit-sim
SIM_CLIENT=$WSGW_BUILD/tests/sim/sim-client
export WSGW_MODULE_PATH=$WSGW_BUILD/modules
DATA=$TOP/tests/data
T_PASS=0
T_FAIL=0
T_PIDS=()

t_tmpdir() {
    T=$(mktemp -d /tmp/wsgw-it.XXXXXX)
    chmod 755 "$T"
    trap t_cleanup EXIT
}

t_cleanup() {
    local p
    for p in "${T_PIDS[@]:-}"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null
    done
    sleep 0.2
    for p in "${T_PIDS[@]:-}"; do
        [ -n "$p" ] && kill -9 "$p" 2>/dev/null
    done
    if [ "${T_KEEP:-0}" = 1 ] || [ "$T_FAIL" -gt 0 ]; then
        echo "  (kept $T for inspection)"
    else
        rm -rf "$T"
    fi
}

ok() {
    T_PASS=$((T_PASS + 1))
    echo "  ok   $1"
}

fail() {
    T_FAIL=$((T_FAIL + 1))
    echo "  FAIL $1${2:+: $2}"
}

# check NAME CMD... : ok when CMD succeeds.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else fail "$name"; fi
}

wait_for() {
    local secs=$1
    shift
    local end=$((SECONDS + secs))
    # tenths of a second resolution with a bounded number of tries
    local tries=$((secs * 10))
    while [ "$tries" -gt 0 ]; do
        if "$@" 2>/dev/null; then return 0; fi
        sleep 0.1
        tries=$((tries - 1))
    done
    "$@" 2>/dev/null
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

sim_start() {
    : >"$T/sim.out"
    "$SIM_BIN" --port 0 --control-port 0 --data-dir "$DATA/bybit" "$@" \
        >"$T/sim.out" 2>"$T/sim.err" &
    SIM_PID=$!
    T_PIDS+=("$SIM_PID")
    wait_for 10 grep -q '^CONTROL ' "$T/sim.out" || {
        echo "bybit-sim did not start:" >&2
        cat "$T/sim.err" >&2
        return 1
    }
    SIM_PORT=$(sed -n 's/^LISTEN [a-z]* 127.0.0.1:\([0-9]*\).*/\1/p' "$T/sim.out" | head -1)
    SIM_CTL=http://127.0.0.1:$(sed -n 's/^CONTROL 127.0.0.1:\([0-9]*\).*/\1/p' "$T/sim.out" | head -1)
    SIM_WS=ws://127.0.0.1:$SIM_PORT
    export SIM_PORT SIM_CTL SIM_WS
}

daemon_start() {
    "$WSGW_BIN" -c "$1" >"$T/out.jsonl" 2>>"$T/wsgw.log" &
    WSGW_PID=$!
    T_PIDS+=("$WSGW_PID")
}

daemon_stop() {
    kill -TERM "$WSGW_PID" 2>/dev/null
    local rc=0
    wait "$WSGW_PID" || rc=$?
    return $rc
}

t_summary() {
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}

# file_lines_ge FILE N: FILE exists and has at least N lines (for wait_for).
file_lines_ge() {
    [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}
