// Photos and videos on the device. Bytes live in IndexedDB as chunks (a
// photo is one chunk; a video is the recorder's slices, stored as they
// arrive, so a crash loses seconds, not the video) until the server reports
// the file verified. A file's record walks through these states:
//   recording -> ready (hashed, declared) -> uploading -> uploaded -> verified
// and "failed" when the server refused the bytes (kept for a retry).

import { S, tx, req, get, byIndex } from './db.js';
import { emit } from './bus.js';
import { enqueue, enqueueIn, uuid } from './outbox.js';

const SLICE = 4 << 20; // bytes hashed per step: memory stays flat for a 2 GB video

function hex(buf) {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * sha256 hashes blobs as one file. One small blob goes to WebCrypto; a video
 * is hashed in slices with hash-wasm's incremental SHA-256 (WebCrypto has no
 * streaming digest), loaded only when first needed.
 */
export async function sha256(blobs) {
  const total = blobs.reduce((n, b) => n + b.size, 0);
  if (blobs.length === 1 && total <= 64 << 20) {
    return hex(await crypto.subtle.digest('SHA-256', await blobs[0].arrayBuffer()));
  }
  const { createSHA256 } = await import('./sha256-wasm.js');
  const h = await createSHA256();
  h.init();
  for (const b of blobs) {
    for (let off = 0; off < b.size; off += SLICE) {
      h.update(new Uint8Array(await b.slice(off, off + SLICE).arrayBuffer()));
    }
  }
  return h.digest('hex');
}

function baseType(t) {
  return String(t || '').split(';')[0].trim().toLowerCase();
}

function extension(type) {
  return { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/heic': 'heic', 'image/heif': 'heif',
    'video/webm': 'webm', 'video/mp4': 'mp4', 'video/quicktime': 'mov' }[type] || 'bin';
}

function stamp(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}

function declaration(m) {
  return {
    id: m.id, inspection_id: m.inspection_id, kind: m.kind, content_type: m.content_type,
    size: m.size, sha256: m.sha256, filename: m.filename, captured_at: m.captured_at,
  };
}

/** declare queues media.declare for a hashed file: the server learns of it before its bytes. */
async function declare(m, actor) {
  await enqueue('media.declare', declaration(m), actor);
}

/** savePhoto stores a photo of an inspection and queues its declaration. */
export async function savePhoto(inspectionId, kind, blob, user) {
  const now = new Date();
  const type = baseType(blob.type) || 'image/jpeg';
  const m = {
    id: uuid(), inspection_id: inspectionId, kind, content_type: type, size: blob.size,
    sha256: await sha256([blob]), filename: `${kind}-${stamp(now)}.${extension(type)}`,
    captured_at: now.toISOString(), captured_by: user.id, captured_by_name: user.username,
    state: 'ready', local: true, declared: false, status: 'declared',
  };
  await tx([S.media, S.chunks, S.outbox], 'readwrite', async (s) => {
    await req(s.chunks.put({ media_id: m.id, index: 0, blob }));
    await req(s.media.put(m));
    await enqueueIn(s, 'media.declare', declaration(m), user.id);
  });
  emit('media', 'outbox');
  return m;
}

/** startVideo creates the record of a recording; its slices follow with appendChunk. */
export async function startVideo(inspectionId, mimeType, user) {
  const now = new Date();
  const type = baseType(mimeType) || 'video/webm';
  const m = {
    id: uuid(), inspection_id: inspectionId, kind: 'unboxing_video', content_type: type, size: 0,
    sha256: '', filename: `unboxing-${stamp(now)}.${extension(type)}`, captured_at: now.toISOString(),
    captured_by: user.id, captured_by_name: user.username, state: 'recording', local: true,
    declared: false, status: 'recording', chunks: 0, started_at: Date.now(), duration_ms: 0,
  };
  await tx(S.media, 'readwrite', (s) => req(s.media.put(m)));
  emit('media');
  return m;
}

/** appendChunk stores one slice of a recording and keeps the record's size and length current. */
export async function appendChunk(mediaId, index, blob, durationMs) {
  await tx([S.media, S.chunks], 'readwrite', async (s) => {
    await req(s.chunks.put({ media_id: mediaId, index, blob }));
    const m = await req(s.media.get(mediaId));
    if (m) {
      m.size += blob.size;
      m.chunks = Math.max(m.chunks || 0, index + 1);
      m.duration_ms = durationMs;
      await req(s.media.put(m));
    }
  });
}

/** chunksOf returns a file's stored slices in order. */
export async function chunksOf(mediaId) {
  return tx(S.chunks, 'readonly', (s) =>
    req(s.chunks.getAll(IDBKeyRange.bound([mediaId, 0], [mediaId, Number.MAX_SAFE_INTEGER]))));
}

/** blobOf is a local file's bytes as one Blob (null once deleted after verification). */
export async function blobOf(mediaId) {
  const m = await get(S.media, mediaId);
  const parts = await chunksOf(mediaId);
  if (!m || parts.length === 0) return null;
  return new Blob(parts.map((c) => c.blob), { type: m.content_type });
}

/**
 * finishVideo hashes a recording's slices and declares it. interrupted marks
 * a recording the app found unfinished after a crash or reload: what was
 * stored is kept as the video.
 */
export async function finishVideo(mediaId, actor, { interrupted = false } = {}) {
  const parts = await chunksOf(mediaId);
  const m = await get(S.media, mediaId);
  if (!m) return null;
  if (parts.length === 0) {
    await tx(S.media, 'readwrite', (s) => req(s.media.delete(mediaId)));
    emit('media');
    return null;
  }
  m.state = 'hashing';
  await tx(S.media, 'readwrite', (s) => req(s.media.put(m)));
  emit('media');
  const blobs = parts.map((c) => c.blob);
  m.sha256 = await sha256(blobs);
  m.size = blobs.reduce((n, b) => n + b.size, 0);
  m.state = 'ready';
  m.status = 'declared';
  m.interrupted = interrupted;
  await tx([S.media, S.outbox], 'readwrite', async (s) => {
    await req(s.media.put(m));
    await enqueueIn(s, 'media.declare', declaration(m), actor || m.captured_by);
  });
  emit('media', 'outbox');
  return m;
}

/**
 * recoverRecordings finishes recordings left unfinished by a crash, a
 * reload or a closed app (except the one recording now, if any).
 */
export async function recoverRecordings(activeId) {
  const all = await tx(S.media, 'readonly', (s) => req(s.media.getAll()));
  const found = [];
  for (const m of all) {
    if ((m.state === 'recording' || m.state === 'hashing') && m.id !== activeId) {
      const done = await finishVideo(m.id, m.captured_by, { interrupted: true });
      if (done) found.push(done);
    }
  }
  return found;
}

/** mediaOf lists an inspection's files (local and known to the server). */
export const mediaOf = (inspectionId) => byIndex(S.media, 'inspection_id', inspectionId);

/** setMedia updates a file's record with patch. */
export async function setMedia(mediaId, patch) {
  const m = await tx(S.media, 'readwrite', async (s) => {
    const cur = await req(s.media.get(mediaId));
    if (!cur) return null;
    Object.assign(cur, patch);
    await req(s.media.put(cur));
    return cur;
  });
  emit('media');
  return m;
}

/**
 * markVerified records that the server holds the file, checked; only then are
 * the local bytes deleted.
 */
export async function markVerified(mediaId) {
  await tx([S.media, S.chunks], 'readwrite', async (s) => {
    const m = await req(s.media.get(mediaId));
    if (m) {
      Object.assign(m, { state: 'verified', status: 'verified', error: null });
      await req(s.media.put(m));
    }
    await req(s.chunks.delete(IDBKeyRange.bound([mediaId, 0], [mediaId, Number.MAX_SAFE_INTEGER])));
  });
  emit('media');
}

/**
 * retryUpload sends a refused file again. The server starts a fresh upload
 * for a media id whose last one was rejected; a file whose declaration
 * never went through is declared again first.
 */
export async function retryUpload(mediaId, actor) {
  const m = await setMedia(mediaId, { state: 'ready', error: null });
  if (m && !m.declared) await declare(m, actor);
}
