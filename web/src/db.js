// The device's own database (IndexedDB): server copies pulled for offline
// work, the device's drafts, the outbox of mutations and the bytes of photos
// and videos until the server has verified them. A thin promise wrapper, no
// library: the stores are few and the queries simple.

import { returnCodes } from './codes.js';

const NAME = 'returnbench';
const VERSION = 1;

let opening = null;

/** Store names, in one place so that a typo fails loudly. */
export const S = {
  meta: 'meta', // {key, value}: client id, cursor, bases, policies, user, last sync
  returns: 'returns', // server copies, with _codes for scan lookups
  inspections: 'inspections', // drafts and server copies
  media: 'media', // records of files, local or server
  chunks: 'chunks', // {media_id, index, blob}: a photo is one chunk, a video many
  outbox: 'outbox', // mutations not yet taken by the server
  units: 'units', // unit labels (server copies)
  users: 'users', // people who signed in on this device (names for "who did it")
};

function upgrade(db) {
  db.createObjectStore(S.meta, { keyPath: 'key' });
  db.createObjectStore(S.returns, { keyPath: 'id' }).createIndex('codes', '_codes', { multiEntry: true });
  db.createObjectStore(S.inspections, { keyPath: 'id' }).createIndex('return_id', 'return_id');
  db.createObjectStore(S.media, { keyPath: 'id' }).createIndex('inspection_id', 'inspection_id');
  db.createObjectStore(S.chunks, { keyPath: ['media_id', 'index'] });
  db.createObjectStore(S.outbox, { keyPath: 'seq', autoIncrement: true });
  db.createObjectStore(S.units, { keyPath: 'id' }).createIndex('inspection_id', 'inspection_id');
  db.createObjectStore(S.users, { keyPath: 'id' });
}

/** openDB opens the database once per page. */
export function openDB() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = (ev) => {
        if (ev.oldVersion < 1) upgrade(req.result);
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab with a newer app version wants to upgrade: let it.
        db.onversionchange = () => db.close();
        resolve(db);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('The database is held open by an older tab of the app: close it.'));
    });
  }
  return opening;
}

/** req turns an IDBRequest into a promise. */
export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * tx runs fn(stores) in one transaction over the named stores and resolves
 * with fn's result once the transaction has committed. fn must only await
 * IndexedDB requests of this transaction: any other await ends it early.
 */
export async function tx(names, mode, fn) {
  const db = await openDB();
  const list = Array.isArray(names) ? names : [names];
  const t = db.transaction(list, mode);
  const stores = Object.fromEntries(list.map((n) => [n, t.objectStore(n)]));
  const done = new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
  let result;
  try {
    result = await fn(stores);
  } catch (err) {
    try {
      t.abort();
    } catch {
      // already finished
    }
    throw err;
  }
  await done;
  return result;
}

export const get = (store, key) => tx(store, 'readonly', (s) => req(s[store].get(key)));
export const getAll = (store) => tx(store, 'readonly', (s) => req(s[store].getAll()));
export const put = (store, value) => tx(store, 'readwrite', (s) => req(s[store].put(value)));
export const del = (store, key) => tx(store, 'readwrite', (s) => req(s[store].delete(key)));

/** byIndex lists a store's records whose index equals value. */
export const byIndex = (store, index, value) =>
  tx(store, 'readonly', (s) => req(s[store].index(index).getAll(value)));

/** getMeta reads one value of the meta store (undefined if unset). */
export async function getMeta(key) {
  const row = await get(S.meta, key);
  return row ? row.value : undefined;
}

export const setMeta = (key, value) => put(S.meta, { key, value });

/** withCodes adds the scan index field to a return before it is stored. */
export function withCodes(ret) {
  return { ...ret, _codes: returnCodes(ret) };
}
