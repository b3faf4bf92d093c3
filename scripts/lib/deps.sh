# scripts/lib/deps.sh — install the Debian packages a script needs.
# deps_install PKG...   installs the missing ones (apt-get update first,
#                       once); needs root, which CI and dev machines have.

deps_missing() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

deps_install() {
    local missing
    missing=$(deps_missing "$@")
    [ -z "$missing" ] && return 0
    echo "== installing Debian packages:" $missing >&2
    if [ "$(id -u)" != 0 ]; then
        echo "need root to install: $missing" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || return 1
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null || return 1
}

# What building wsgw needs.
DEPS_BUILD="build-essential autoconf automake libtool pkg-config
  libevent-dev libssl-dev libwebsockets-dev librabbitmq-dev libpq-dev
  libjansson-dev libyaml-dev libcmocka-dev openssl ca-certificates rsync git"
# What the tests need on top.
DEPS_TEST="clang libclang-rt-14-dev clang-format cppcheck valgrind curl jq
  python3 rabbitmq-server postgresql postgresql-client amqp-tools
  prometheus netcat-openbsd wrk"
# What the full stack (scripts/run --full) needs.
DEPS_FULL="rabbitmq-server postgresql postgresql-client"
