// The service worker: the app shell and its assets come from the cache, so
// the app opens with no network after the first visit. The list of files is
// written by build.mjs at build time (hashed names + a build version); a new
// deploy changes this file, the browser installs the new version beside the
// old, and the page offers to switch (the inspector may be mid-recording).
// API calls and uploads are never touched here.

/* global __PRECACHE__, __BUILD_VERSION__, __APP_ROUTES__ */
const PRECACHE = __PRECACHE__;
const CACHE = `returnbench-${__BUILD_VERSION__}`;
const APP_ROUTES = __APP_ROUTES__; // paths the app answers (history routing)

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })))),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('returnbench-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

function isAppPath(path) {
  return path === '/' || APP_ROUTES.some((r) => path === r.replace(/\/$/, '') || (r.endsWith('/') && path.startsWith(r)));
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate') {
    if (!isAppPath(url.pathname)) return; // /setup and the like come from the server
    event.respondWith(caches.match('/index.html', { cacheName: CACHE }).then((res) => res || fetch(req)));
    return;
  }
  event.respondWith(caches.match(req, { cacheName: CACHE }).then((res) => res || fetch(req)));
});
