// Who is signed in. The session itself is the server's HttpOnly cookie; the
// device keeps only the user's name and role, so that the bench can keep
// working offline and show who is doing what. A password is never stored.

import { S, put, getMeta, setMeta } from './db.js';
import { api, isOffline } from './api.js';
import { emit, on } from './bus.js';

/** auth.user: the signed-in user; auth.expired: the server ended the session. */
export const auth = { user: null, expired: false, ready: false };

function setUser(user) {
  auth.user = user;
  auth.expired = false;
  emit('auth');
  return Promise.all([
    setMeta('user', user),
    setMeta('pending_logout', false),
    user ? put(S.users, { id: user.id, username: user.username, role: user.role, seen_at: new Date().toISOString() }) : null,
  ]);
}

/** initAuth restores the last user and asks the server whether the session still holds. */
export async function initAuth() {
  auth.user = (await getMeta('user')) || null;
  try {
    const me = await api('GET', '/api/v1/auth/me', { timeout: 6000 });
    await setUser(me.user);
  } catch (err) {
    if (!isOffline(err) && err.status === 401) auth.expired = !!auth.user;
  }
  auth.ready = true;
  emit('auth');
}

on('unauthorized', () => {
  if (!auth.expired) {
    auth.expired = true;
    emit('auth');
  }
});

/** login signs in with a username and password. */
export async function login(username, password) {
  const res = await api('POST', '/api/v1/auth/login', { body: { username, password } });
  await setUser(res.user);
  return res.user;
}

/** badgeLogin signs in with the text of a badge QR and the user's PIN. */
export async function badgeLogin(badge, pin) {
  const res = await api('POST', '/api/v1/auth/badge', { body: { badge, pin } });
  await setUser(res.user);
  return res.user;
}

/**
 * logout ends the session. Offline, the server cannot be told yet: the app
 * forgets the user at once and revokes the session when it is next online.
 */
export async function logout() {
  try {
    await api('POST', '/api/v1/auth/logout', { timeout: 5000 });
  } catch (err) {
    if (isOffline(err)) await setMeta('pending_logout', true);
  }
  auth.user = null;
  auth.expired = false;
  await setMeta('user', null);
  emit('auth');
}

/** finishPendingLogout revokes a session signed out while offline. */
export async function finishPendingLogout() {
  if (auth.user || !(await getMeta('pending_logout'))) return;
  try {
    await api('POST', '/api/v1/auth/logout', { timeout: 5000 });
    await setMeta('pending_logout', false);
  } catch (err) {
    if (!isOffline(err)) await setMeta('pending_logout', false); // already ended
  }
}

/** setPIN sets the signed-in user's badge PIN (4-8 digits). */
export function setPIN(pin) {
  return api('POST', '/api/v1/auth/pin', { body: { pin } });
}

/** isLead: leads and admins see the office tools. */
export function isLead(user) {
  return !!user && (user.role === 'lead' || user.role === 'admin');
}
