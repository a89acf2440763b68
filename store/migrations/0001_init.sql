-- The foundation schema. Written once for both databases: {{TIME}} becomes
-- DATETIME on SQLite (so the driver parses it back into a time) and
-- TIMESTAMPTZ on PostgreSQL.

CREATE TABLE sites (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    marketplace TEXT NOT NULL DEFAULT '',
    timezone    TEXT NOT NULL DEFAULT '',
    created_at  {{TIME}} NOT NULL
);
INSERT INTO sites (id, name, marketplace, timezone, created_at)
VALUES ('main', 'Main warehouse', 'US', 'America/Los_Angeles', CURRENT_TIMESTAMP);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    site_id       TEXT NOT NULL REFERENCES sites (id),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at {{TIME}} NOT NULL,
    created_at {{TIME}} NOT NULL,
    revoked_at {{TIME}}
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at {{TIME}} NOT NULL,
    created_at {{TIME}} NOT NULL
);

CREATE TABLE login_failures (
    id  TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    at  {{TIME}} NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);

CREATE TABLE returns (
    id              TEXT PRIMARY KEY,
    site_id         TEXT NOT NULL REFERENCES sites (id),
    marketplace     TEXT NOT NULL DEFAULT '',
    channel         TEXT NOT NULL DEFAULT '',
    order_id        TEXT NOT NULL DEFAULT '',
    rma_id          TEXT NOT NULL DEFAULT '',
    merchant_rma_id TEXT NOT NULL DEFAULT '',
    tracking_id     TEXT NOT NULL DEFAULT '',
    carrier         TEXT NOT NULL DEFAULT '',
    lpn             TEXT NOT NULL DEFAULT '',
    fnsku           TEXT NOT NULL DEFAULT '',
    asin            TEXT NOT NULL DEFAULT '',
    sku             TEXT NOT NULL DEFAULT '',
    product_name    TEXT NOT NULL DEFAULT '',
    quantity        BIGINT NOT NULL DEFAULT 1,
    reason_raw      TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    buyer_comment   TEXT NOT NULL DEFAULT '',
    currency        TEXT NOT NULL DEFAULT '',
    order_amount    BIGINT NOT NULL DEFAULT 0,
    refund_amount   BIGINT NOT NULL DEFAULT 0,
    refunded_at     {{TIME}},
    requested_at    {{TIME}},
    request_status  TEXT NOT NULL DEFAULT '',
    atoz_claim      BOOLEAN NOT NULL DEFAULT FALSE,
    arrived_at      {{TIME}},
    source          TEXT NOT NULL DEFAULT '',
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      {{TIME}} NOT NULL,
    updated_at      {{TIME}} NOT NULL
);
-- One index per identifier a scan can carry; empty values are never looked up.
CREATE INDEX returns_tracking ON returns (tracking_id);
CREATE INDEX returns_rma ON returns (rma_id);
CREATE INDEX returns_lpn ON returns (lpn);
CREATE INDEX returns_order ON returns (order_id);
CREATE INDEX returns_fnsku ON returns (fnsku);
CREATE INDEX returns_site_created ON returns (site_id, created_at, id);

CREATE TABLE inspections (
    id                     TEXT PRIMARY KEY,
    site_id                TEXT NOT NULL REFERENCES sites (id),
    return_id              TEXT REFERENCES returns (id),
    scanned_code           TEXT NOT NULL DEFAULT '',
    inspector_id           TEXT NOT NULL REFERENCES users (id),
    client_id              TEXT NOT NULL DEFAULT '',
    status                 TEXT NOT NULL,
    checklist              TEXT NOT NULL DEFAULT '{}',
    grade                  TEXT NOT NULL DEFAULT '',
    used_condition         TEXT NOT NULL DEFAULT '',
    disposition            TEXT NOT NULL DEFAULT '',
    verdict                TEXT NOT NULL DEFAULT '',
    restocking_fee_percent BIGINT NOT NULL DEFAULT 0,
    restocking_fee_amount  BIGINT NOT NULL DEFAULT 0,
    notes                  TEXT NOT NULL DEFAULT '',
    version                BIGINT NOT NULL DEFAULT 1,
    captured_at            {{TIME}},
    completed_at           {{TIME}},
    created_at             {{TIME}} NOT NULL,
    updated_at             {{TIME}} NOT NULL
);
CREATE INDEX inspections_scanned ON inspections (scanned_code);
CREATE INDEX inspections_return ON inspections (return_id);

CREATE TABLE media (
    id            TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    site_id       TEXT NOT NULL REFERENCES sites (id),
    kind          TEXT NOT NULL,
    content_type  TEXT NOT NULL DEFAULT '',
    filename      TEXT NOT NULL DEFAULT '',
    size          BIGINT NOT NULL DEFAULT 0,
    sha256        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    storage_key   TEXT NOT NULL DEFAULT '',
    captured_at   {{TIME}},
    verified_at   {{TIME}},
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);
CREATE INDEX media_inspection ON media (inspection_id);

CREATE TABLE unit_labels (
    id            TEXT PRIMARY KEY,
    site_id       TEXT NOT NULL REFERENCES sites (id),
    inspection_id TEXT NOT NULL UNIQUE REFERENCES inspections (id),
    return_id     TEXT REFERENCES returns (id),
    sku           TEXT NOT NULL DEFAULT '',
    gtin          TEXT NOT NULL DEFAULT '',
    condition     TEXT NOT NULL DEFAULT '',
    created_at    {{TIME}} NOT NULL
);

-- The audit log is append-only and hash-chained. audit_head holds the last
-- sequence number and hash; every append locks and advances it, which
-- serialises appends across connections and server instances.
CREATE TABLE audit_events (
    seq       BIGINT PRIMARY KEY,
    at        {{TIME}} NOT NULL,
    actor_id  TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL DEFAULT '',
    entity_id TEXT NOT NULL DEFAULT '',
    data      TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id);

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
