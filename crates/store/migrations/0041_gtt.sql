-- GTT (good till triggered) orders of the paper engine (reference
-- openalgo-options-gtt-calendar.md §10.6), one row per GTT with its one or two legs.
-- gtt_status: active -> triggered | cancelled | expired | rejected. A GTT fires in the
-- same transaction that inserts the order it places (fired_order_id), so a restart never
-- loses or repeats that order.
CREATE TABLE sandbox_gtt (
    gtt_id          TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    trigger_type    TEXT    NOT NULL CHECK (trigger_type IN ('single', 'two-leg')),
    symbol          TEXT    NOT NULL,
    exchange        TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    quantity        INTEGER NOT NULL,
    pricetype       TEXT    NOT NULL,
    product         TEXT    NOT NULL,
    strategy        TEXT    NOT NULL,
    last_price      REAL    NOT NULL,
    gtt_status      TEXT    NOT NULL
        CHECK (gtt_status IN ('active', 'triggered', 'cancelled', 'expired', 'rejected')),
    leg1_trigger    REAL    NOT NULL,
    leg1_direction  TEXT    NOT NULL CHECK (leg1_direction IN ('below', 'above')),
    leg1_price      REAL    NOT NULL,
    leg2_trigger    REAL,
    leg2_direction  TEXT    CHECK (leg2_direction IS NULL OR leg2_direction IN ('below', 'above')),
    leg2_price      REAL,
    fired_leg       INTEGER,
    fired_order_id  TEXT    UNIQUE,
    reason          TEXT    NOT NULL DEFAULT '',
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    expires_ms      INTEGER NOT NULL,
    CHECK ((gtt_status = 'triggered') = (fired_order_id IS NOT NULL))
);
CREATE INDEX idx_sandbox_gtt_user_status ON sandbox_gtt (user_id, gtt_status);

-- Semi-auto mode queues placegttorder, optionsorder and optionsmultiorder too (OpenAlgo's
-- api_type names): SQLite cannot alter a CHECK, so the table is rebuilt with the wider list
-- (same columns, rows and indexes).
CREATE TABLE pending_orders_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_type         TEXT    NOT NULL
        CHECK (api_type IN ('placeorder', 'smartorder', 'basketorder', 'splitorder',
                            'placegttorder', 'optionsorder', 'optionsmultiorder')),
    order_data       TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    created_at_ist   TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    approved_at      TEXT,
    approved_at_ist  TEXT,
    approved_by      TEXT,
    rejected_at      TEXT,
    rejected_at_ist  TEXT,
    rejected_by      TEXT,
    rejected_reason  TEXT,
    broker_order_id  TEXT,
    broker_status    TEXT,
    execution_state  TEXT
        CHECK (execution_state IS NULL OR execution_state IN ('executing', 'executed', 'failed')),
    order_ids        TEXT    NOT NULL DEFAULT '[]',
    execution_result TEXT,
    execution_error  TEXT,
    executed_at_ist  TEXT,
    CHECK ((status = 'approved') = (execution_state IS NOT NULL))
);
INSERT INTO pending_orders_new SELECT * FROM pending_orders;
DROP TABLE pending_orders;
ALTER TABLE pending_orders_new RENAME TO pending_orders;
CREATE INDEX idx_pending_orders_user_status ON pending_orders (user_id, status);
CREATE INDEX idx_pending_orders_created_at ON pending_orders (created_at);
CREATE INDEX idx_pending_orders_executing ON pending_orders (execution_state)
    WHERE execution_state = 'executing';
