// Uploads of photos and videos over tus (resumable): one file at a time,
// the label close-up first, each in 8 MiB chunks (the server's part size).
// tus-js-client keeps each upload's URL in localStorage under our media id,
// so after a reload, a crash or a night offline the upload resumes where the
// server says it stopped. A file is uploaded only once the server has taken
// its media.declare (so its inspection exists there), and its local bytes
// are deleted only when the server reports it verified.

import { Upload } from 'tus-js-client';
import { S, getAll } from './db.js';
import { emit } from './bus.js';
import { api, isOffline } from './api.js';
import { blobOf, markVerified, setMedia } from './media.js';

const CHUNK = 8 << 20;
const KIND_ORDER = ['label_closeup', 'damage', 'contents', 'serial', 'accessories', 'package', 'other', 'unboxing_video'];

/** progress: media id -> {sent, total} of the uploads of this page's life. */
export const progress = new Map();

let running = null;
let current = null;
let stopped = false;
let lastEmit = 0;

function emitProgress(force) {
  const now = Date.now();
  if (force || now - lastEmit > 250) {
    lastEmit = now;
    emit('uploads');
  }
}

/** waiting lists local files that still have to reach the server, in upload order. */
export async function waiting() {
  const all = await getAll(S.media);
  return all
    .filter((m) => m.local && ['ready', 'uploading', 'uploaded', 'failed', 'recording', 'hashing'].includes(m.state))
    .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.captured_at.localeCompare(b.captured_at));
}

/** currentUpload is the media id being uploaded now, or null. */
export function currentUpload() {
  return current;
}

function errorMessage(err) {
  const res = err && err.originalResponse;
  if (!res) return { status: 0, message: '' };
  let message = '';
  try {
    message = JSON.parse(res.getBody() || '{}').error?.message || '';
  } catch {
    message = '';
  }
  return { status: res.getStatus(), message };
}

function uploadOne(m, blob) {
  return new Promise((resolve) => {
    const up = new Upload(blob, {
      endpoint: '/api/v1/uploads',
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      metadata: {
        media_id: m.id, inspection_id: m.inspection_id, kind: m.kind, filename: m.filename,
        content_type: m.content_type, sha256: m.sha256, captured_at: m.captured_at,
      },
      // Our media id names the upload, whatever the Blob looks like after a reload.
      fingerprint: () => Promise.resolve(`returnbench-media-${m.id}`),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress(sent, total) {
        progress.set(m.id, { sent, total });
        emitProgress(sent >= total); // the last one always shows: all bytes sent
      },
      onSuccess: () => resolve({ ok: true }),
      onError: (err) => resolve({ ok: false, ...errorMessage(err) }),
    });
    current = { id: m.id, upload: up, resolve };
    up.findPreviousUploads().then((prev) => {
      if (prev.length) up.resumeFromPreviousUpload(prev[0]);
      up.start();
    });
  });
}

/** checkVerified asks the server whether an uploaded file passed its hash check. */
export async function checkVerified(m) {
  try {
    const meta = await api('GET', `/api/v1/media/${m.id}/meta`);
    if (meta.status === 'verified') await markVerified(m.id);
    else if (meta.status === 'rejected') await setMedia(m.id, { state: 'failed', server_status: 'rejected', error: { code: 'rejected', message: '' } });
    return meta.status;
  } catch (err) {
    return isOffline(err) ? 'offline' : 'unknown';
  }
}

async function runOnce() {
  for (;;) {
    if (stopped || !navigator.onLine) return;
    const list = await waiting();
    for (const m of list.filter((x) => x.state === 'uploaded')) await checkVerified(m);
    const next = list.find((x) => x.declared && (x.state === 'ready' || x.state === 'uploading'));
    if (!next) return;
    const blob = await blobOf(next.id);
    if (!blob) {
      // Bytes gone without a verification (storage evicted): say so, keep the record.
      await setMedia(next.id, { state: 'failed', error: { code: 'bytes_lost', message: '' } });
      continue;
    }
    await setMedia(next.id, { state: 'uploading' });
    progress.set(next.id, { sent: 0, total: blob.size });
    const res = await uploadOne(next, blob);
    current = null;
    if (res.ok) {
      await setMedia(next.id, { state: 'uploaded' });
      progress.set(next.id, { sent: blob.size, total: blob.size });
      await checkVerified(next);
      emitProgress(true);
      continue;
    }
    emitProgress(true);
    if (res.status === 0 || res.status === 423 || res.status >= 500) return; // offline or busy: next sync
    if (res.status === 401) {
      emit('unauthorized');
      return;
    }
    if (res.status === 404) return; // the inspection is not on the server yet: after the next push
    // Refused for good (type, size, quota, a verified file with other bytes): shown, kept for a retry.
    await setMedia(next.id, { state: 'failed', error: { code: `http_${res.status}`, message: res.message } });
  }
}

/** pump uploads whatever is waiting; calls while it runs join the same run. */
export function pump() {
  stopped = false;
  if (!running) {
    running = runOnce().catch(() => {}).finally(() => {
      running = null;
      emit('uploads');
    });
  }
  return running;
}

/** pause stops the upload in progress (it resumes from the server's offset later). */
export function pause() {
  stopped = true;
  if (current) {
    current.upload.abort(false);
    current.resolve({ ok: false, status: 0, message: '' });
  }
}
