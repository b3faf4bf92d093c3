#!/bin/sh
# The exposition of a populated registry must pass `promtool check
# metrics` (format and lint). Skipped (77) when promtool is not installed.
command -v promtool >/dev/null 2>&1 || { echo "promtool not found: skipped"; exit 77; }
bin=./tests/unit/test_metrics
test -x "$bin" || { echo "$bin not built"; exit 1; }
out=$("$bin" --dump | promtool check metrics 2>&1)
rc=$?
test -n "$out" && echo "$out"
if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "promtool check metrics: FAILED"
    exit 1
fi
echo "promtool check metrics: ok"
