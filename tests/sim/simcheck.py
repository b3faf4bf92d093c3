#!/usr/bin/env python3
"""JSON assertions for tests/sim/test-sim.sh (standard library only).

  simcheck.py ack DATA_DIR ROW LINE [KEY=JSON ...]
      LINE has the same keys as row ROW of control.jsonl and the same values,
      except conn_id, args and data (volatile) and the KEY=JSON overrides.
  simcheck.py shape DATA_DIR TEMPLATES_JSON STREAM FILE
      each data message in FILE has the key set of the sample row the
      simulator built it from (GET /templates), envelope and data level,
      ignoring the simulator's "_sim" tag; prints the count checked.
  simcheck.py json FILE
      prints how many lines of FILE starting with '{' are not valid JSON.
  simcheck.py book FILE
      orderbook messages in FILE: first is a snapshot, u is +1 per message,
      seq increases; prints the count of messages checked.
  simcheck.py rawclose PORT PATH READYFILE
      plain-socket WebSocket client: handshakes, touches READYFILE, reads
      until the server ends the connection and prints RST (connection reset),
      FIN (orderly close without a close frame) or CLOSE-FRAME.
  simcheck.py eval EXPR        evaluates EXPR with j = JSON from stdin.
Exit status 0 = assertion holds; otherwise the reason is on stderr.
"""
import base64
import json
import os
import socket
import sys


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def cmd_ack(data_dir, row, line, *overrides):
    want = rows(data_dir + "/control.jsonl")[int(row) - 1]
    got = json.loads(line)
    for o in overrides:
        k, v = o.split("=", 1)
        want[k] = json.loads(v)
    if set(want) != set(got):
        fail("keys differ: sample %s, got %s" % (sorted(want), sorted(got)))
    for k, v in want.items():
        if k in ("conn_id", "args", "data"):
            continue
        if got[k] != v:
            fail("%s: want %r, got %r" % (k, v, got[k]))
    if "args" in want and not (isinstance(got["args"], list)
                               and got["args"][0].isdigit()):
        fail("args must hold the server time in ms as a string")


def family_of(topic):
    if topic.startswith("execution.fast"):
        return "execution.fast"
    return topic.split(".")[0]


def keys(obj):
    return set(obj) - {"_sim"}


def find_spec(specs, stream, fam, variant, cat):
    for s in specs:
        if (stream in s["streams"] and s["family"] == fam
                and s["variant"] == variant
                and s["category"] in ("any", cat)):
            return s
    return None


def cmd_shape(data_dir, templates, stream, path):
    n = 0
    with open(templates) as f:
        specs = json.load(f)
    with open(path) as f:
        for line in f:
            if line.startswith("{") and '"topic"' in line:
                shape_one(data_dir, specs, stream, line)
                n += 1
    print(n)


def shape_one(data_dir, specs, stream, line):
    msg = json.loads(line)
    fam = family_of(msg["topic"])
    variant = "delta" if msg.get("type") == "delta" else "snapshot"
    data = msg["data"]
    first = data[0] if isinstance(data, list) and data else data
    cat = first.get("category") if isinstance(first, dict) else None
    # a sample of type "delta" (insurance) is the only template of its topic
    s = (find_spec(specs, stream, fam, variant, cat)
         or find_spec(specs, stream, fam, "snapshot", cat))
    if not s:
        fail("no template for %s %s %s" % (stream, fam, variant))
    sample = rows(data_dir + "/" + s["file"])[s["row"] - 1]
    if set(msg) != set(sample):
        fail("%s envelope keys: sample %s:%d %s, got %s" % (
            msg["topic"], s["file"], s["row"], sorted(sample), sorted(msg)))
    sdata = sample["data"]
    sfirst = sdata[0] if isinstance(sdata, list) and sdata else sdata
    if isinstance(sfirst, dict):
        want = set(sfirst)
        if stream.endswith("option") and fam == "publicTrade":
            want = (want - {"L"}) | {"mP", "iP", "mIv", "iv"}
        if not isinstance(first, dict) or keys(first) != want:
            fail("%s data keys: sample %s, got %s" % (
                msg["topic"], sorted(want), sorted(keys(first))))
    if type(data) is not type(sdata):
        fail("%s: data type differs from the sample" % msg["topic"])


def cmd_book(path):
    last = {}
    n = 0
    with open(path) as f:
        for line in f:
            if not line.startswith('{"topic":"orderbook'):
                continue
            m = json.loads(line)
            t, d = m["topic"], m["data"]
            if t not in last:
                if m["type"] != "snapshot":
                    fail("%s: first message is not a snapshot" % t)
            else:
                u0, s0 = last[t]
                if d["u"] != u0 + 1:
                    fail("%s: u %d after %d" % (t, d["u"], u0))
                if d["seq"] <= s0:
                    fail("%s: seq %d after %d" % (t, d["seq"], s0))
                if m["type"] != "delta" and not t.startswith("orderbook.1."):
                    fail("%s: %s after the snapshot" % (t, m["type"]))
            last[t] = (d["u"], d["seq"])
            n += 1
    print(n)


def cmd_json(path):
    bad = 0
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                try:
                    json.loads(line)
                except ValueError:
                    bad += 1
    print(bad)


def cmd_rawclose(port, path, ready):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    if b" 101 " not in buf.split(b"\r\n")[0]:
        fail("handshake refused")
    buf = buf.split(b"\r\n\r\n", 1)[1]
    open(ready, "w").close()
    try:
        while True:
            # a server frame starts with the opcode byte; 0x88 = close
            if buf[:1] == b"\x88":
                print("CLOSE-FRAME")
                return
            buf = b""
            chunk = s.recv(65536)
            if not chunk:
                print("FIN")
                return
            buf = chunk
    except ConnectionResetError:
        print("RST")


def cmd_eval(expr):
    j = json.load(sys.stdin)
    print(eval(expr, {"j": j}))


def main():
    cmds = {"ack": cmd_ack, "shape": cmd_shape, "book": cmd_book,
            "json": cmd_json, "rawclose": cmd_rawclose, "eval": cmd_eval}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        fail(__doc__)
    try:
        cmds[sys.argv[1]](*sys.argv[2:])
    except (ValueError, KeyError, IndexError, TypeError) as e:
        fail("%s: %r" % (sys.argv[1], e))


if __name__ == "__main__":
    main()
