-- The paper broker's state (OpenAlgo's sandbox.db tables, in the main database), one
-- account per user. Every engine state change writes its rows in one transaction.
CREATE TABLE sandbox_funds (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    capital          REAL    NOT NULL,
    available        REAL    NOT NULL,
    used             REAL    NOT NULL,
    total_realized   REAL    NOT NULL,
    today_realized   REAL    NOT NULL,
    session_start_ms INTEGER NOT NULL,
    last_reset_ms    INTEGER NOT NULL,
    reset_count      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sandbox_orders (
    orderid          TEXT    PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol           TEXT    NOT NULL,
    exchange         TEXT    NOT NULL,
    action           TEXT    NOT NULL CHECK (action IN ('BUY', 'SELL')),
    quantity         INTEGER NOT NULL,
    price            REAL    NOT NULL,
    trigger_price    REAL    NOT NULL,
    pricetype        TEXT    NOT NULL CHECK (pricetype IN ('MARKET', 'LIMIT', 'SL', 'SL-M')),
    product          TEXT    NOT NULL CHECK (product IN ('MIS', 'NRML', 'CNC')),
    order_status     TEXT    NOT NULL
        CHECK (order_status IN ('open', 'trigger pending', 'complete', 'cancelled', 'rejected')),
    filled_quantity  INTEGER NOT NULL,
    average_price    REAL    NOT NULL,
    rejection_reason TEXT    NOT NULL,
    strategy         TEXT    NOT NULL,
    margin_blocked   REAL    NOT NULL,
    instrument_type  TEXT    NOT NULL,
    lot_size         INTEGER NOT NULL,
    expiry           TEXT,
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL
);
CREATE INDEX sandbox_orders_user_created ON sandbox_orders (user_id, created_ms);
CREATE INDEX sandbox_orders_resting ON sandbox_orders (user_id, order_status)
    WHERE order_status IN ('open', 'trigger pending');

CREATE TABLE sandbox_trades (
    tradeid    TEXT    PRIMARY KEY,
    orderid    TEXT    NOT NULL REFERENCES sandbox_orders (orderid),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol     TEXT    NOT NULL,
    exchange   TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    quantity   INTEGER NOT NULL,
    price      REAL    NOT NULL,
    product    TEXT    NOT NULL,
    strategy   TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX sandbox_trades_user_created ON sandbox_trades (user_id, created_ms);

CREATE TABLE sandbox_positions (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol          TEXT    NOT NULL,
    exchange        TEXT    NOT NULL,
    product         TEXT    NOT NULL,
    quantity        INTEGER NOT NULL,
    average_price   REAL    NOT NULL,
    margin          REAL    NOT NULL,
    today_realized  REAL    NOT NULL,
    total_realized  REAL    NOT NULL,
    ltp             REAL    NOT NULL,
    instrument_type TEXT    NOT NULL,
    lot_size        INTEGER NOT NULL,
    expiry          TEXT,
    opened_on       TEXT    NOT NULL,
    updated_ms      INTEGER NOT NULL,
    PRIMARY KEY (user_id, symbol, exchange, product)
);

CREATE TABLE sandbox_holdings (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol          TEXT    NOT NULL,
    exchange        TEXT    NOT NULL,
    quantity        INTEGER NOT NULL,
    average_price   REAL    NOT NULL,
    margin          REAL    NOT NULL,
    ltp             REAL    NOT NULL,
    settlement_date TEXT    NOT NULL,
    lot_size        INTEGER NOT NULL,
    PRIMARY KEY (user_id, symbol, exchange)
);
