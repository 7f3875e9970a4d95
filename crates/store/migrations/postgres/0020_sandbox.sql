-- PostgreSQL twin of ../0020_sandbox.sql.
CREATE TABLE sandbox_funds (
    user_id          BIGINT           PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    capital          DOUBLE PRECISION NOT NULL,
    available        DOUBLE PRECISION NOT NULL,
    used             DOUBLE PRECISION NOT NULL,
    total_realized   DOUBLE PRECISION NOT NULL,
    today_realized   DOUBLE PRECISION NOT NULL,
    session_start_ms BIGINT           NOT NULL,
    last_reset_ms    BIGINT           NOT NULL,
    reset_count      BIGINT           NOT NULL DEFAULT 0
);

CREATE TABLE sandbox_orders (
    orderid          TEXT             PRIMARY KEY,
    user_id          BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol           TEXT             NOT NULL,
    exchange         TEXT             NOT NULL,
    action           TEXT             NOT NULL CHECK (action IN ('BUY', 'SELL')),
    quantity         BIGINT           NOT NULL,
    price            DOUBLE PRECISION NOT NULL,
    trigger_price    DOUBLE PRECISION NOT NULL,
    pricetype        TEXT             NOT NULL CHECK (pricetype IN ('MARKET', 'LIMIT', 'SL', 'SL-M')),
    product          TEXT             NOT NULL CHECK (product IN ('MIS', 'NRML', 'CNC')),
    order_status     TEXT             NOT NULL
        CHECK (order_status IN ('open', 'trigger pending', 'complete', 'cancelled', 'rejected')),
    filled_quantity  BIGINT           NOT NULL,
    average_price    DOUBLE PRECISION NOT NULL,
    rejection_reason TEXT             NOT NULL,
    strategy         TEXT             NOT NULL,
    margin_blocked   DOUBLE PRECISION NOT NULL,
    instrument_type  TEXT             NOT NULL,
    lot_size         BIGINT           NOT NULL,
    expiry           TEXT,
    created_ms       BIGINT           NOT NULL,
    updated_ms       BIGINT           NOT NULL
);
CREATE INDEX sandbox_orders_user_created ON sandbox_orders (user_id, created_ms);
CREATE INDEX sandbox_orders_resting ON sandbox_orders (user_id, order_status)
    WHERE order_status IN ('open', 'trigger pending');

CREATE TABLE sandbox_trades (
    tradeid    TEXT             PRIMARY KEY,
    orderid    TEXT             NOT NULL REFERENCES sandbox_orders (orderid),
    user_id    BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol     TEXT             NOT NULL,
    exchange   TEXT             NOT NULL,
    action     TEXT             NOT NULL,
    quantity   BIGINT           NOT NULL,
    price      DOUBLE PRECISION NOT NULL,
    product    TEXT             NOT NULL,
    strategy   TEXT             NOT NULL,
    created_ms BIGINT           NOT NULL
);
CREATE INDEX sandbox_trades_user_created ON sandbox_trades (user_id, created_ms);

CREATE TABLE sandbox_positions (
    user_id         BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol          TEXT             NOT NULL,
    exchange        TEXT             NOT NULL,
    product         TEXT             NOT NULL,
    quantity        BIGINT           NOT NULL,
    average_price   DOUBLE PRECISION NOT NULL,
    margin          DOUBLE PRECISION NOT NULL,
    today_realized  DOUBLE PRECISION NOT NULL,
    total_realized  DOUBLE PRECISION NOT NULL,
    ltp             DOUBLE PRECISION NOT NULL,
    instrument_type TEXT             NOT NULL,
    lot_size        BIGINT           NOT NULL,
    expiry          TEXT,
    opened_on       TEXT             NOT NULL,
    updated_ms      BIGINT           NOT NULL,
    PRIMARY KEY (user_id, symbol, exchange, product)
);

CREATE TABLE sandbox_holdings (
    user_id         BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol          TEXT             NOT NULL,
    exchange        TEXT             NOT NULL,
    quantity        BIGINT           NOT NULL,
    average_price   DOUBLE PRECISION NOT NULL,
    margin          DOUBLE PRECISION NOT NULL,
    ltp             DOUBLE PRECISION NOT NULL,
    settlement_date TEXT             NOT NULL,
    lot_size        BIGINT           NOT NULL,
    PRIMARY KEY (user_id, symbol, exchange)
);
