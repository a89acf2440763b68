-- The offline sync protocol.
--
-- changes is the feed devices pull. Its seq is taken from audit_head's
-- change_seq under the same row lock as the audit chain, so change rows
-- commit in seq order: a puller that has seen seq N has seen every change
-- below N, on SQLite and on PostgreSQL alike.
ALTER TABLE audit_head ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE changes (
    seq       BIGINT PRIMARY KEY,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,
    site_id   TEXT NOT NULL,
    data      TEXT NOT NULL DEFAULT '',
    at        {{TIME}} NOT NULL
);
CREATE INDEX changes_site_seq ON changes (site_id, seq);
CREATE INDEX changes_entity ON changes (entity, entity_id, seq);

-- Every mutation a device pushed, with the answer it got: a mutation seen
-- again gets the same answer and is not applied twice.
CREATE TABLE mutations (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    user_id     TEXT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    error_code  TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_at  {{TIME}} NOT NULL
);
CREATE INDEX mutations_client ON mutations (client_id, seq);

-- The feed's identity: a restored database gets a new epoch, so devices
-- holding cursors from before start again. horizon_seq is the highest
-- change seq compacted away; older cursors must resync too.
CREATE TABLE sync_meta (
    id          BIGINT PRIMARY KEY,
    epoch       TEXT NOT NULL,
    horizon_seq BIGINT NOT NULL DEFAULT 0
);
