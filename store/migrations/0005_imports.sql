-- Marketplace reports. Each imported return row has a natural key per
-- report (source + source_key, unique) and a hash of the fields it set, so
-- importing the same file again, or a later report that overlaps it,
-- changes only what changed.
ALTER TABLE returns ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN source_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN fc_disposition TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN fulfillment_center TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN safet_claim_id TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN safet_claim_state TEXT NOT NULL DEFAULT '';
ALTER TABLE returns ADD COLUMN reimbursed_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE returns ADD COLUMN reimbursed_at {{TIME}};
ALTER TABLE returns ADD COLUMN fc_returned_at {{TIME}};
CREATE UNIQUE INDEX returns_source_key ON returns (source, source_key) WHERE source_key <> '';

-- FBA reimbursements: what Amazon paid back, which closes refunded-but-
-- not-returned claims.
CREATE TABLE reimbursements (
    id                TEXT PRIMARY KEY,
    site_id           TEXT NOT NULL REFERENCES sites (id),
    reimbursement_id  TEXT NOT NULL,
    sku               TEXT NOT NULL DEFAULT '',
    approval_date     {{TIME}},
    case_id           TEXT NOT NULL DEFAULT '',
    order_id          TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL DEFAULT '',
    fnsku             TEXT NOT NULL DEFAULT '',
    asin              TEXT NOT NULL DEFAULT '',
    product_name      TEXT NOT NULL DEFAULT '',
    condition         TEXT NOT NULL DEFAULT '',
    currency          TEXT NOT NULL DEFAULT '',
    amount_per_unit   BIGINT NOT NULL DEFAULT 0,
    amount_total      BIGINT NOT NULL DEFAULT 0,
    quantity_cash     BIGINT NOT NULL DEFAULT 0,
    quantity_inventory BIGINT NOT NULL DEFAULT 0,
    quantity_total    BIGINT NOT NULL DEFAULT 0,
    original_id       TEXT NOT NULL DEFAULT '',
    original_type     TEXT NOT NULL DEFAULT '',
    source_hash       TEXT NOT NULL DEFAULT '',
    created_at        {{TIME}} NOT NULL,
    updated_at        {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX reimbursements_key ON reimbursements (site_id, reimbursement_id, sku);
CREATE INDEX reimbursements_order ON reimbursements (order_id);

-- One row per import: who sent which file and what it did.
CREATE TABLE imports (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (id),
    user_id    TEXT NOT NULL,
    format     TEXT NOT NULL,
    filename   TEXT NOT NULL DEFAULT '',
    sha256     TEXT NOT NULL DEFAULT '',
    rows_total BIGINT NOT NULL DEFAULT 0,
    inserted   BIGINT NOT NULL DEFAULT 0,
    updated    BIGINT NOT NULL DEFAULT 0,
    unchanged  BIGINT NOT NULL DEFAULT 0,
    rejected   BIGINT NOT NULL DEFAULT 0,
    created_at {{TIME}} NOT NULL
);
