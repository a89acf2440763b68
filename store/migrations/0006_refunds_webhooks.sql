-- Refund notifications (Amazon's "Refund initiated for order ..." emails, an
-- mbox export of them, or a lead's entry). One row per refunded item; the
-- unique key makes importing the same email again change nothing.
-- item_key is the SKU, else the ASIN, else the item's name in lower case,
-- else '' (the refund covers the order).
CREATE TABLE refunds (
    id          TEXT PRIMARY KEY,
    site_id     TEXT NOT NULL REFERENCES sites (id),
    order_id    TEXT NOT NULL,
    item_key    TEXT NOT NULL DEFAULT '',
    sku         TEXT NOT NULL DEFAULT '',
    asin        TEXT NOT NULL DEFAULT '',
    item_name   TEXT NOT NULL DEFAULT '',
    amount      BIGINT NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL DEFAULT '',
    refunded_at {{TIME}} NOT NULL,
    channel     TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    message_id  TEXT NOT NULL DEFAULT '',
    created_at  {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX refunds_key ON refunds (site_id, order_id, item_key, refunded_at);
CREATE INDEX refunds_message ON refunds (message_id);

-- Outbound webhooks, per site, set by an admin. secret is the shared HMAC
-- key the receiver checks signatures with; it is never shown or logged.
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (id),
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at {{TIME}} NOT NULL
);
CREATE INDEX webhooks_site ON webhooks (site_id);

-- The delivery outbox: written in the transaction of the event itself, so
-- a committed event is never lost and a rolled-back one never fires.
-- lease_token fences a delivery in flight: a dispatcher that claims it sets
-- a new token and pushes next_attempt_at past its timeout; only the holder
-- of the current token records the outcome.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at {{TIME}} NOT NULL,
    status          TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    lease_token     TEXT NOT NULL DEFAULT '',
    created_at      {{TIME}} NOT NULL,
    delivered_at    {{TIME}}
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, created_at);

-- FBA returns whose refunded-but-not-returned claim window has been
-- announced (claim.window_opened): each fires once.
CREATE TABLE claim_window_announcements (
    return_id    TEXT PRIMARY KEY REFERENCES returns (id) ON DELETE CASCADE,
    site_id      TEXT NOT NULL,
    opens_at     {{TIME}} NOT NULL,
    announced_at {{TIME}} NOT NULL
);
