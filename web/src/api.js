// Calls to our own server. The session rides on the HttpOnly cookie
// (credentials: same-origin), so no token is ever kept in script-readable
// storage. A 401 anywhere means the session ended: listeners show sign-in
// and the outbox waits.

import { emit } from './bus.js';

/** ApiError carries the server's error code and its message, safe to show. */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** NetworkError means the request never got an answer (offline, timeout). */
export class NetworkError extends Error {}

/**
 * api makes one request and returns the parsed JSON (or null for an empty
 * answer). timeout bounds how long a bench waits on bad Wi-Fi.
 */
export async function api(method, path, { body, timeout = 20000, signal } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  signal?.addEventListener('abort', () => ctl.abort());
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctl.signal,
      cache: 'no-store',
    });
  } catch (err) {
    throw new NetworkError(err.name === 'AbortError' ? 'timeout' : 'offline');
  } finally {
    clearTimeout(timer);
  }
  const text = await res.text().catch(() => '');
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = data && data.error;
    if (res.status === 401 && path !== '/api/v1/auth/login' && path !== '/api/v1/auth/badge') emit('unauthorized');
    throw new ApiError(res.status, e?.code || `http_${res.status}`, e?.message || '', data);
  }
  return data;
}

/** isOffline tells a failed call that never reached the server. */
export function isOffline(err) {
  return err instanceof NetworkError;
}
