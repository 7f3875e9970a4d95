-- PostgreSQL twin of ../0041_gtt.sql. PostgreSQL alters a CHECK in place, where SQLite
-- rebuilds the table.
CREATE TABLE sandbox_gtt (
    gtt_id          TEXT             PRIMARY KEY,
    user_id         BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    trigger_type    TEXT             NOT NULL CHECK (trigger_type IN ('single', 'two-leg')),
    symbol          TEXT             NOT NULL,
    exchange        TEXT             NOT NULL,
    action          TEXT             NOT NULL,
    quantity        BIGINT           NOT NULL,
    pricetype       TEXT             NOT NULL,
    product         TEXT             NOT NULL,
    strategy        TEXT             NOT NULL,
    last_price      DOUBLE PRECISION NOT NULL,
    gtt_status      TEXT             NOT NULL
        CHECK (gtt_status IN ('active', 'triggered', 'cancelled', 'expired', 'rejected')),
    leg1_trigger    DOUBLE PRECISION NOT NULL,
    leg1_direction  TEXT             NOT NULL CHECK (leg1_direction IN ('below', 'above')),
    leg1_price      DOUBLE PRECISION NOT NULL,
    leg2_trigger    DOUBLE PRECISION,
    leg2_direction  TEXT CHECK (leg2_direction IS NULL OR leg2_direction IN ('below', 'above')),
    leg2_price      DOUBLE PRECISION,
    fired_leg       BIGINT,
    fired_order_id  TEXT             UNIQUE,
    reason          TEXT             NOT NULL DEFAULT '',
    created_ms      BIGINT           NOT NULL,
    updated_ms      BIGINT           NOT NULL,
    expires_ms      BIGINT           NOT NULL,
    CHECK ((gtt_status = 'triggered') = (fired_order_id IS NOT NULL))
);
CREATE INDEX idx_sandbox_gtt_user_status ON sandbox_gtt (user_id, gtt_status);

ALTER TABLE pending_orders DROP CONSTRAINT pending_orders_api_type_check;
ALTER TABLE pending_orders ADD CONSTRAINT pending_orders_api_type_check
    CHECK (api_type IN ('placeorder', 'smartorder', 'basketorder', 'splitorder',
                        'placegttorder', 'optionsorder', 'optionsmultiorder'));
