// The back office's calls: report uploads with progress (XMLHttpRequest, so
// the bytes sent can be shown: the server imports while it receives), and
// watch lists and the dashboard kept on the device with the time they were
// loaded, so that they can still be read offline.
import { emit } from './bus.js';
import { getMeta, setMeta } from './db.js';
import { api, ApiError, NetworkError } from './api.js';

/**
 * uploadReport posts a file as the multipart field "file" and calls
 * onProgress(loaded, total) as bytes go out. Resolves with the server's
 * answer; rejects with ApiError (422 carries the server's message) or
 * NetworkError.
 */
export function uploadReport(file, onProgress, { signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/imports');
    xhr.withCredentials = true;
    xhr.responseType = 'text';
    // The total is the whole request (the form around the file).
    let total = file.size;
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) total = ev.total;
      onProgress(ev.loaded, total);
    };
    xhr.upload.onload = () => onProgress(total, total);
    xhr.onerror = () => reject(new NetworkError('offline'));
    xhr.onabort = () => reject(new NetworkError('aborted'));
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      if (xhr.status === 401) emit('unauthorized');
      const e = data && data.error;
      reject(new ApiError(xhr.status, e?.code || `http_${xhr.status}`, e?.message || '', data));
    };
    signal?.addEventListener('abort', () => xhr.abort());
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * loadKept fetches path and keeps the answer under key; offline (or on a
 * server error) it gives the kept copy. Answers {data, at, offline, error}.
 */
export async function loadKept(key, path) {
  try {
    const data = await api('GET', path, { timeout: 30000 });
    const at = new Date().toISOString();
    await setMeta(`office:${key}`, { data, at }).catch(() => {});
    return { data, at, offline: false, error: null };
  } catch (error) {
    const kept = await getMeta(`office:${key}`).catch(() => null);
    return { data: kept?.data ?? null, at: kept?.at ?? null, offline: error instanceof NetworkError, error };
  }
}

/** The watch lists, as the server names them. */
export const WATCH_LISTS = ['refunded-not-returned', 'refund-due', 'atoz', 'safet', 'disputes'];
