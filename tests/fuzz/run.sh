#!/usr/bin/env bash
# tests/fuzz/run.sh — build and run the libFuzzer harnesses.
#
#   tests/fuzz/run.sh --short            every harness for 20 s (scripts/test)
#   tests/fuzz/run.sh --long SECONDS     every harness for SECONDS
#   tests/fuzz/run.sh --replay           only replay seeds and regressions
#   ... [--only NAME]                    one harness: bybit_frame, conf, http
#
# Each harness is compiled with clang (-fsanitize=fuzzer,address,undefined)
# straight from the .c files it needs into _build/fuzz/ (no configure
# needed; pkg-config finds the libraries). Before fuzzing, every input kept
# under tests/fuzz/regress/NAME/ and every seed is replayed once, so a bug
# found once stays tested. The corpus grows in _build/fuzz/corpus/NAME and
# is reused by the next run. A crash, leak, sanitizer report or failed
# check leaves its input in _build/fuzz/artifacts/NAME/ and makes the run
# fail. Prints "N passed, N failed" last; exits non-zero on any failure.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ=$TOP/tests/fuzz
B=${WSGW_FUZZ_BUILD:-$TOP/_build/fuzz}
CC=${FUZZ_CC:-clang}

mode=short
secs=20
only=
while [ $# -gt 0 ]; do
    case "$1" in
    --short) mode=short secs=20 ;;
    --long)
        mode=long
        secs=${2:?--long needs SECONDS}
        shift
        ;;
    --replay) mode=replay ;;
    --only)
        only=${2:?--only needs a harness name}
        shift
        ;;
    -h | --help)
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "run.sh: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
    shift
done
case "$secs" in '' | *[!0-9]*)
    echo "run.sh: --long wants a number of seconds" >&2
    exit 2
    ;;
esac

command -v "$CC" >/dev/null || {
    echo "run.sh: $CC not found (apt-get install clang)" >&2
    exit 1
}
mkdir -p "$B"

# The core includes <config.h>; an in-tree configure made one. Without it,
# the few definitions the sources use.
CONFIG_H=$TOP/config.h
if [ ! -f "$CONFIG_H" ]; then
    CONFIG_H=$B/config.h
    version=$(sed -n 's/^AC_INIT(\[wsgw\], \[\([^]]*\)\].*/\1/p' "$TOP/configure.ac")
    cat >"$CONFIG_H" <<EOF
#define _GNU_SOURCE 1
#define PACKAGE "wsgw"
#define PACKAGE_VERSION "${version:-0.0.0}"
#define VERSION "${version:-0.0.0}"
#define WSGW_BUILT_MODULES "file bybit rabbitmq postgres http_admin"
EOF
fi

PKGS="jansson yaml-0.1 libevent libevent_pthreads openssl"
PKG_CFLAGS=$(pkg-config --cflags $PKGS) || exit 1
PKG_LIBS=$(pkg-config --libs $PKGS) || exit 1
CFLAGS="-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -pthread
    -include $CONFIG_H -I$TOP -I$TOP/core/include -I$TOP/core
    -I$TOP/modules/bybit -Wno-unused-command-line-argument"

# Sources of each harness (relative to the top). The admin API harness
# links the whole core but the daemon's main().
harness_srcs() {
    case "$1" in
    bybit_frame)
        echo modules/bybit/bybit_normalize.c modules/bybit/bybit_json.c \
            modules/bybit/bybit_control.c modules/bybit/bybit_subs.c \
            modules/bybit/bybit_topic.c core/event.c core/util.c \
            core/json_escape.c
        ;;
    conf)
        echo core/conf_tree.c core/conf_interp.c core/conf_opts.c \
            core/daemon_conf.c core/util.c core/event.c core/json_escape.c
        ;;
    http)
        (cd "$TOP" && ls core/*.c | grep -v '^core/main\.c$')
        echo modules/bybit/bybit_topic.c
        ;;
    esac
}

# Seeds: the repo's sample messages, shipped configs and real requests.
make_seeds() {
    local name=$1 dir=$B/seeds/$1 f n line
    rm -rf "$dir"
    mkdir -p "$dir"
    case "$name" in
    bybit_frame)
        # one sample message per file, exactly as the exchange sends it
        for f in "$TOP"/tests/data/bybit/*.jsonl; do
            n=0
            while IFS= read -r line || [ -n "$line" ]; do
                n=$((n + 1))
                [ -n "$line" ] && printf '%s' "$line" >"$dir/$(basename "$f" .jsonl)-$n.json"
            done <"$f"
        done
        # acks for the requests the harness's subscription tables send
        cp "$FUZZ"/seeds/bybit_frame/*.json "$dir"/ 2>/dev/null
        ;;
    conf)
        cp "$TOP"/conf/*.yaml "$dir"/ 2>/dev/null
        cp "$TOP"/tests/integration/bad/*.yaml "$dir"/ 2>/dev/null
        cp "$FUZZ"/seeds/conf/*.yaml "$dir"/ 2>/dev/null
        ;;
    http)
        cp "$FUZZ"/seeds/http/* "$dir"/ 2>/dev/null
        ;;
    esac
    # an empty seed set would make libFuzzer start from nothing
    [ -n "$(ls -A "$dir")" ] || printf '{}' >"$dir/empty"
}

# Compile when a source is newer than the binary (or the flags changed).
build() {
    local name=$1 bin=$B/fuzz_$1 srcs=() s missing=0 stamp
    for s in $(harness_srcs "$name"); do
        if [ -f "$TOP/$s" ]; then
            srcs+=("$TOP/$s")
        else
            echo "  $name: $s is not there yet" >&2
            missing=1
        fi
    done
    [ "$missing" = 0 ] || return 2
    stamp="$CC $CFLAGS $PKG_LIBS ${srcs[*]}"
    if [ -x "$bin" ] && [ "$(cat "$bin.flags" 2>/dev/null)" = "$stamp" ] &&
        [ -z "$(find "${srcs[@]}" "$FUZZ/fuzz_$name.c" "$CONFIG_H" "$TOP"/core/*.h \
            "$TOP"/core/include/wsgw/*.h "$TOP"/modules/bybit/*.h \
            -newer "$bin" 2>/dev/null | head -1)" ]; then
        return 0
    fi
    # shellcheck disable=SC2086
    if ! $CC $CFLAGS "$FUZZ/fuzz_$name.c" "${srcs[@]}" $PKG_LIBS -ldl -lm \
        -o "$bin" >"$B/fuzz_$name.build.log" 2>&1; then
        grep -E 'error|undefined' "$B/fuzz_$name.build.log" | head -20 >&2
        return 1
    fi
    echo "$stamp" >"$bin.flags"
}

passed=0
failed=0
skipped=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp:print_suppressions=0}

# libFuzzer options every run shares: bounded memory and time per input.
common_opts() {
    local name=$1
    echo "-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10" \
        "-dict=$FUZZ/dict/$name.dict"
}

run_one() {
    local name=$1 bin=$B/fuzz_$1 rc log
    echo "== fuzz_$name"
    build "$name"
    rc=$?
    if [ "$rc" = 2 ]; then
        echo "-- fuzz_$name: skipped (its target code has not landed)"
        skipped=$((skipped + 1))
        return 0
    fi
    if [ "$rc" != 0 ]; then
        echo "-- fuzz_$name: FAILED to build (log: $B/fuzz_$name.build.log)"
        failed=$((failed + 1))
        return 1
    fi
    make_seeds "$name"
    mkdir -p "$B/corpus/$name" "$B/artifacts/$name"
    log=$B/fuzz_$name.log

    # 1. replay: known crashers (fixed bugs stay fixed) and every seed
    local inputs=()
    if [ -d "$FUZZ/regress/$name" ]; then
        while IFS= read -r f; do inputs+=("$f"); done \
            < <(find "$FUZZ/regress/$name" -type f ! -name '*.md' | sort)
    fi
    while IFS= read -r f; do inputs+=("$f"); done \
        < <(find "$B/seeds/$name" -type f | sort)
    # shellcheck disable=SC2046
    if ! "$bin" $(common_opts "$name") -runs=1 "${inputs[@]}" >"$log" 2>&1; then
        echo "-- fuzz_$name: FAILED replaying seeds/regressions:"
        grep -E 'Running:|check failed|ERROR|SUMMARY' "$log" | tail -8
        echo "   (full log: $log)"
        failed=$((failed + 1))
        return 1
    fi
    local replayed=${#inputs[@]}
    if [ "$mode" = replay ]; then
        echo "-- fuzz_$name: ok ($replayed inputs replayed)"
        passed=$((passed + 1))
        return 0
    fi

    # 2. fuzz for a bounded time
    # shellcheck disable=SC2046
    "$bin" $(common_opts "$name") -max_total_time="$secs" \
        -print_final_stats=1 -artifact_prefix="$B/artifacts/$name/" \
        "$B/corpus/$name" "$B/seeds/$name" >>"$log" 2>&1
    rc=$?
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" != 0 ]; then
        echo "-- fuzz_$name: FAILED (exit $rc) after ${runs:-?} runs:"
        grep -E 'check failed|ERROR:|SUMMARY|Test unit written' "$log" | tail -8
        echo "   reproduce: $bin <the test unit above>"
        echo "   keep it:   cp <test unit> $FUZZ/regress/$name/"
        echo "   (full log: $log)"
        failed=$((failed + 1))
        return 1
    fi
    echo "-- fuzz_$name: ok ($replayed replayed, ${runs:-?} runs in ${secs} s," \
        "corpus $(find "$B/corpus/$name" -type f | wc -l) inputs)"
    passed=$((passed + 1))
}

for h in bybit_frame conf http; do
    [ -z "$only" ] || [ "$only" = "$h" ] || continue
    run_one "$h"
done
[ -z "$only" ] || [ $((passed + failed + skipped)) -gt 0 ] || {
    echo "run.sh: no harness named '$only' (bybit_frame, conf, http)" >&2
    exit 2
}
[ "$skipped" = 0 ] || echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
