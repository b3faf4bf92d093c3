#!/usr/bin/env bash
# The module author's story, end to end: install wsgw into a prefix,
# build my_sink.so outside the tree with `pkg-config --cflags wsgw`, list
# it in a config, route simulated Bybit trades to it and check what it got.
. "$(dirname "$0")/../integration/lib.sh"
t_tmpdir
echo "out-of-tree module"

prefix=$T/prefix
if make -C "$TOP" -s install prefix="$prefix" >"$T/install.log" 2>&1; then
    ok "make install into a prefix"
else
    fail "make install" "$(tail -5 "$T/install.log")"
    t_summary
    exit 1
fi
for f in sbin/wsgw lib/wsgw/modules/file.so include/wsgw/wsgw.h \
    include/wsgw/module.h lib/pkgconfig/wsgw.pc etc/wsgw/wsgw.yaml; do
    check "installed $f" test -e "$prefix/$f"
done

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --define-variable=prefix="$prefix" --cflags wsgw)
check "pkg-config --cflags wsgw names the installed headers" \
    grep -q -- "-I$prefix/include" <<<"$cflags"
if cc -shared -fPIC -Wall -Werror $cflags -o "$T/my_sink.so" \
    "$TOP/tests/oot/my_sink.c" 2>"$T/cc.log"; then
    ok "my_sink.so builds out of tree"
else
    fail "my_sink.so builds" "$(cat "$T/cc.log")"
fi

sim_start
cat >"$T/oot.yaml" <<YAML
log: { level: info }
daemon: { state_dir: $T/state }
sources:
  - name: bybit
    module: bybit
    environment: custom
    public_url: $SIM_WS/v5/public
    subscriptions:
      - { channel: trades, category: linear, symbol: BTCUSDT }
sinks:
  - { name: mine, module: $T/my_sink.so, path: $T/received.txt }
routes:
  - { from: bybit, classes: [trades], to: [mine] }
YAML
check "wsgw -t accepts the config with the out-of-tree module" \
    "$prefix/sbin/wsgw" -t -c "$T/oot.yaml" -M "$prefix/lib/wsgw/modules"
"$prefix/sbin/wsgw" -c "$T/oot.yaml" -M "$prefix/lib/wsgw/modules" 2>"$T/wsgw.log" &
WSGW_PID=$!
T_PIDS+=("$WSGW_PID")
if wait_for 20 file_lines_ge "$T/received.txt" 5; then
    ok "my_sink received routed events"
else
    fail "my_sink received events" "$(tail -5 "$T/wsgw.log")"
fi
check "every line is a trades event of publicTrade.BTCUSDT" \
    awk '$1 != "trades" || $2 != "publicTrade.BTCUSDT" || length($3) != 36 { bad = 1 } END { exit bad }' "$T/received.txt"
kill -TERM "$WSGW_PID"
rc=0
wait "$WSGW_PID" || rc=$?
check "SIGTERM exits 0" test "$rc" = 0
t_summary
