-- 001_init: the tables of the Python service wsgw replaces, so its readers
-- keep working, plus the columns wsgw adds. Written to also upgrade a
-- database that service created: CREATE ... IF NOT EXISTS with the legacy
-- columns, then ADD COLUMN IF NOT EXISTS for wsgw's own.
-- Amounts are NUMERIC (exact decimal text from Bybit); times timestamptz.

CREATE TABLE IF NOT EXISTS subscriptions (
    id                 uuid PRIMARY KEY,
    channel_type       text NOT NULL,
    symbol             text,
    topic              text NOT NULL,
    requesting_service text NOT NULL,
    is_active          boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    last_event_at      timestamptz
);
ALTER TABLE subscriptions
    ADD COLUMN IF NOT EXISTS category      text,
    ADD COLUMN IF NOT EXISTS stream        text,
    ADD COLUMN IF NOT EXISTS status        text NOT NULL DEFAULT 'pending',
    ADD COLUMN IF NOT EXISTS status_reason text;
CREATE INDEX IF NOT EXISTS subscriptions_service_idx
    ON subscriptions (requesting_service);
CREATE INDEX IF NOT EXISTS subscriptions_topic_idx ON subscriptions (topic);

-- One row per coin of every wallet message.
CREATE TABLE IF NOT EXISTS account_balances (
    id                bigserial PRIMARY KEY,
    coin              text NOT NULL,
    wallet_balance    numeric,
    available_balance numeric,
    frozen            numeric,
    equity            numeric,
    usd_value         numeric,
    margin_collateral boolean,
    total_order_im    numeric,
    total_position_im numeric,
    event_timestamp   timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    trace_id          text
);
ALTER TABLE account_balances
    ADD COLUMN IF NOT EXISTS event_id          uuid,
    ADD COLUMN IF NOT EXISTS account_type      text,
    ADD COLUMN IF NOT EXISTS total_position_mm numeric,
    ADD COLUMN IF NOT EXISTS unrealised_pnl    numeric,
    ADD COLUMN IF NOT EXISTS cum_realised_pnl  numeric,
    ADD COLUMN IF NOT EXISTS borrow_amount     numeric,
    ADD COLUMN IF NOT EXISTS accrued_interest  numeric;
-- "latest per coin" and the history filters walk this index.
CREATE INDEX IF NOT EXISTS account_balances_coin_time_idx
    ON account_balances (coin, event_timestamp DESC, id DESC);
CREATE INDEX IF NOT EXISTS account_balances_time_idx
    ON account_balances (event_timestamp DESC, id DESC);

-- One row per account of every wallet message (account-level margin).
CREATE TABLE IF NOT EXISTS account_margin_balances (
    id                       bigserial PRIMARY KEY,
    account_type             text NOT NULL,
    total_equity             numeric,
    total_wallet_balance     numeric,
    total_margin_balance     numeric,
    total_available_balance  numeric,
    total_initial_margin     numeric,
    total_maintenance_margin numeric,
    total_order_im           numeric,
    base_currency            text NOT NULL DEFAULT 'USD',
    event_timestamp          timestamptz NOT NULL,
    received_at              timestamptz NOT NULL DEFAULT now(),
    trace_id                 text
);
ALTER TABLE account_margin_balances
    ADD COLUMN IF NOT EXISTS event_id        uuid,
    ADD COLUMN IF NOT EXISTS account_im_rate numeric,
    ADD COLUMN IF NOT EXISTS account_mm_rate numeric,
    ADD COLUMN IF NOT EXISTS total_perp_upl  numeric,
    ADD COLUMN IF NOT EXISTS account_ltv     numeric;
CREATE INDEX IF NOT EXISTS account_margin_balances_time_idx
    ON account_margin_balances (event_timestamp DESC, id DESC);

-- One row per position event (history; the latest row of a
-- (category, symbol, position_idx) is the current position).
CREATE TABLE IF NOT EXISTS positions (
    id               bigserial PRIMARY KEY,
    event_id         uuid,
    category         text,
    symbol           text NOT NULL,
    side             text,
    size             numeric,
    position_idx     integer,
    avg_price        numeric,
    entry_price      numeric,
    position_value   numeric,
    mark_price       numeric,
    unrealised_pnl   numeric,
    cur_realised_pnl numeric,
    cum_realised_pnl numeric,
    leverage         numeric,
    liq_price        numeric,
    bust_price       numeric,
    take_profit      numeric,
    stop_loss        numeric,
    position_im      numeric,
    position_mm      numeric,
    position_balance numeric,
    trade_mode       integer,
    position_status  text,
    seq              bigint,
    created_time     timestamptz,
    updated_time     timestamptz,
    event_timestamp  timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    trace_id         text,
    raw              jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS positions_symbol_time_idx
    ON positions (category, symbol, position_idx, event_timestamp DESC);
CREATE INDEX IF NOT EXISTS positions_time_idx
    ON positions (event_timestamp DESC);
