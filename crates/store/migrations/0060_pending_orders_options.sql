-- The options orders queue in the Action Center too (OpenAlgo's api_type names
-- optionsorder and optionsmultiorder; placegttorder is allowed for the GTT work). SQLite
-- cannot change a CHECK in place, so the table is rebuilt with every row and id kept.
CREATE TABLE pending_orders_0060 (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_type         TEXT    NOT NULL
        CHECK (api_type IN ('placeorder', 'smartorder', 'basketorder', 'splitorder',
                            'optionsorder', 'optionsmultiorder', 'placegttorder')),
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
    -- Added by 0050 (named keys); kept, in the same place, so SELECT * lines up.
    key_name         TEXT,
    CHECK ((status = 'approved') = (execution_state IS NOT NULL))
);
INSERT INTO pending_orders_0060 SELECT * FROM pending_orders;
DROP TABLE pending_orders;
ALTER TABLE pending_orders_0060 RENAME TO pending_orders;
CREATE INDEX idx_pending_orders_user_status ON pending_orders (user_id, status);
CREATE INDEX idx_pending_orders_created_at ON pending_orders (created_at);
CREATE INDEX idx_pending_orders_executing ON pending_orders (execution_state)
    WHERE execution_state = 'executing';
