# scripts/lib/services.sh — start and stop private RabbitMQ and PostgreSQL
# servers on loopback for tests, benchmarks and `scripts/run --full`.
# Source it from bash. Each server gets its own data directory and free
# ports, so runs never collide with each other or with a system server.
#
#   svc_free_port                 print a free TCP port on 127.0.0.1
#   svc_rabbitmq_start DIR        start a node; exports AMQP_PORT, AMQP_URL,
#                                 RABBITMQCTL (command prefix for rabbitmqctl)
#   svc_rabbitmq_outage SECONDS   stop_app, sleep, start_app (a real outage)
#   svc_rabbitmq_stop
#   svc_postgres_start DIR        start a cluster; exports PG_PORT, PG_DSN,
#                                 PGHOST, PGPORT, PGUSER; creates database wsgw
#   svc_postgres_stop [immediate]
#   svc_postgres_restart_later SECONDS   (background) start again after SECONDS

svc_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

svc_rabbitmq_start() {
    local dir=$1
    mkdir -p "$dir/mnesia" "$dir/log"
    AMQP_PORT=$(svc_free_port)
    local dist_port
    dist_port=$(svc_free_port)
    # Erlang's epmd is shared per host; keep it on loopback.
    export RABBITMQ_NODENAME="wsgw$$-$AMQP_PORT@localhost" \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$AMQP_PORT \
        RABBITMQ_DIST_PORT=$dist_port \
        RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
        RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins \
        RABBITMQ_CONFIG_FILE=$dir/rabbitmq ERL_EPMD_ADDRESS=127.0.0.1
    echo "[]." >"$dir/enabled_plugins"
    echo "loopback_users.guest = true" >"$dir/rabbitmq.conf"
    SVC_RABBITMQ_DIR=$dir
    local r=/usr/lib/rabbitmq/bin
    RABBITMQCTL="env HOME=$dir $r/rabbitmqctl -n $RABBITMQ_NODENAME"
    HOME=$dir $r/rabbitmq-server -detached >"$dir/start.out" 2>&1 || {
        echo "rabbitmq-server failed to start:" >&2
        cat "$dir/start.out" "$dir"/log/*.log >&2 2>/dev/null
        return 1
    }
    if ! $RABBITMQCTL wait --timeout 90 "$dir/mnesia/$RABBITMQ_NODENAME.pid" >"$dir/wait.out" 2>&1; then
        echo "rabbitmq did not come up:" >&2
        tail -n 30 "$dir"/log/*.log >&2 2>/dev/null
        return 1
    fi
    AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT/"
    export AMQP_PORT AMQP_URL RABBITMQCTL SVC_RABBITMQ_DIR
}

svc_rabbitmq_outage() {
    $RABBITMQCTL stop_app >/dev/null
    sleep "$1"
    $RABBITMQCTL start_app >/dev/null
}

svc_rabbitmq_stop() {
    [ -n "${RABBITMQCTL:-}" ] || return 0
    $RABBITMQCTL stop >/dev/null 2>&1 || true
    RABBITMQCTL=
}

SVC_PG_BIN=/usr/lib/postgresql/15/bin

svc_postgres_start() {
    local dir=$1
    install -d -o postgres "$dir" "$dir/pg"
    PG_PORT=$(svc_free_port)
    SVC_PG_DIR=$dir/pg
    su postgres -c "$SVC_PG_BIN/initdb -D $SVC_PG_DIR/data -A trust -U postgres" >"$dir/initdb.out" 2>&1 || {
        cat "$dir/initdb.out" >&2
        return 1
    }
    svc_postgres_start_again || return 1
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE wsgw' >/dev/null || return 1
    PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres
    PG_DSN="postgresql://postgres@127.0.0.1:$PG_PORT/wsgw"
    export PG_PORT PG_DSN PGHOST PGPORT PGUSER SVC_PG_DIR
}

svc_postgres_start_again() {
    su postgres -c "$SVC_PG_BIN/pg_ctl -D $SVC_PG_DIR/data -l $SVC_PG_DIR/log -w \
        -o '-p $PG_PORT -k $SVC_PG_DIR -c listen_addresses=127.0.0.1' start" >/dev/null || {
        tail -n 20 "$SVC_PG_DIR/log" >&2
        return 1
    }
}

svc_postgres_stop() {
    [ -n "${SVC_PG_DIR:-}" ] || return 0
    su postgres -c "$SVC_PG_BIN/pg_ctl -D $SVC_PG_DIR/data -m ${1:-fast} stop" >/dev/null 2>&1 || true
}

svc_postgres_restart_later() {
    (sleep "$1" && svc_postgres_start_again) &
}
