-- Semi-auto mode: orders queued for approval in the Action Center (OpenAlgo's
-- pending_orders, reference §5.3), plus an explicit execution life cycle.
--
-- status:          pending -> approved | rejected             (OpenAlgo's column, as is)
-- execution_state: NULL while pending/rejected; approval sets 'executing' in the SAME
--                  statement that moves status pending -> approved, then the executor
--                  records 'executed' or 'failed'. A row found 'executing' at start-up was
--                  interrupted by a restart: it is marked 'failed' (never re-executed).
-- order_ids:       JSON array of the engine order ids placed so far, appended after each
--                  leg, so an interrupted multi-leg execution still shows what it placed.
CREATE TABLE pending_orders (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_type         TEXT    NOT NULL
        CHECK (api_type IN ('placeorder', 'smartorder', 'basketorder', 'splitorder')),
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
CREATE INDEX idx_pending_orders_user_status ON pending_orders (user_id, status);
CREATE INDEX idx_pending_orders_created_at ON pending_orders (created_at);
CREATE INDEX idx_pending_orders_executing ON pending_orders (execution_state)
    WHERE execution_state = 'executing';
