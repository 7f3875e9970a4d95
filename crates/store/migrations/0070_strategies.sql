-- Strategy webhooks (OpenAlgo's strategies and Chartink strategies in one table): an alert
-- posted to the webhook URL carries no API key; the strategy supplies exchange, product,
-- quantity and time rules, and executes through its own named key (key_id), whose policy
-- holds the strategy's limits (symbols, quantity, orders per day, expiry, IPs, order mode).
--
-- webhook_fp:        HMAC fingerprint of the webhook secret (the lookup; the secret itself
--                    is never stored in clear); webhook_encrypted: its Fernet copy, for the
--                    owner's page.
-- key_id:            NULL once the key is revoked: alerts then answer 401 No API key found.
-- start/end/squareoff_time: "HH:MM" IST, all three for intraday strategies, NULL otherwise.
-- squared_off_session: the trading session whose square-off already ran (once a session).
CREATE TABLE strategies (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    platform            TEXT    NOT NULL,
    webhook_fp          TEXT    NOT NULL UNIQUE,
    webhook_encrypted   TEXT    NOT NULL,
    key_id              INTEGER REFERENCES named_keys (id) ON DELETE SET NULL,
    is_active           INTEGER NOT NULL DEFAULT 1,
    is_intraday         INTEGER NOT NULL DEFAULT 1,
    trading_mode        TEXT    NOT NULL CHECK (trading_mode IN ('LONG', 'SHORT', 'BOTH')),
    start_time          TEXT,
    end_time            TEXT,
    squareoff_time      TEXT,
    squared_off_session TEXT,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (user_id, name)
);

CREATE TABLE strategy_symbol_mappings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy_id  INTEGER NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    symbol       TEXT    NOT NULL,
    exchange     TEXT    NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    product_type TEXT    NOT NULL,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX strategy_symbol_mappings_by_strategy ON strategy_symbol_mappings (strategy_id);

-- Every alert received, newest kept (bounded per strategy by the writer): payload with
-- secrets masked, outcome (placed, queued, refused, error, squareoff), detail (order ids
-- or the refusal).
CREATE TABLE strategy_alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy_id INTEGER NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    at          TEXT    NOT NULL,
    source_ip   TEXT,
    payload     TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX strategy_alerts_by_strategy ON strategy_alerts (strategy_id, id);
