-- Resumable uploads: everything needed to take the next chunk on any
-- instance after any restart. lock_token fences writers: taking an upload
-- sets a new token, and progress is saved only under the current one.
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    media_id        TEXT NOT NULL REFERENCES media (id),
    inspection_id   TEXT NOT NULL REFERENCES inspections (id),
    site_id         TEXT NOT NULL REFERENCES sites (id),
    user_id         TEXT NOT NULL,
    storage_key     TEXT NOT NULL,
    backend_upload  TEXT NOT NULL,
    length          BIGINT NOT NULL,
    "offset"        BIGINT NOT NULL DEFAULT 0,
    part_size       BIGINT NOT NULL,
    parts           TEXT NOT NULL DEFAULT '[]',
    tail_key        TEXT NOT NULL DEFAULT '',
    tail_size       BIGINT NOT NULL DEFAULT 0,
    hash_state      TEXT NOT NULL,
    declared_sha256 TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    sniffed         BOOLEAN NOT NULL DEFAULT FALSE,
    lock_token      TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    expires_at      {{TIME}} NOT NULL,
    created_at      {{TIME}} NOT NULL,
    updated_at      {{TIME}} NOT NULL
);
CREATE INDEX uploads_media ON uploads (media_id, created_at);
CREATE INDEX uploads_open_expiry ON uploads (status, expires_at);
