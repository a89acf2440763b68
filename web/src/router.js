// History routing under the paths the server answers with the app
// (web.go appRoutes): /scan, /queue, /login, /settings, /office,
// /inspections/<id>, /returns/<id>, /u/<unit> and /01/<gtin>/21/<unit>.
import { emit } from './bus.js';

const ROUTES = [
  [/^\/(?:scan)?\/?$/, 'scan'],
  [/^\/login\/?$/, 'login'],
  [/^\/queue\/?$/, 'queue'],
  [/^\/settings\/?$/, 'settings'],
  [/^\/office\/?$/, 'office'],
  [/^\/inspections\/([0-9a-fA-F-]{36})\/label\/?$/, 'label', ['id']],
  [/^\/inspections\/([0-9a-fA-F-]{36})\/?$/, 'inspection', ['id']],
  [/^\/returns\/([^/]+)\/?$/, 'return', ['id']],
  [/^\/u\/([^/]+)\/?$/, 'unit', ['unit']],
  [/^\/01\/(\d{14})\/21\/([^/]+)\/?$/, 'unit', ['gtin', 'unit']],
];

/** matchRoute maps a path to {name, params}; unknown paths are "notfound". */
export function matchRoute(path) {
  for (const [re, name, keys = []] of ROUTES) {
    const m = re.exec(path);
    if (m) {
      const params = {};
      keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1]);
      });
      return { name, params };
    }
  }
  return { name: 'notfound', params: {} };
}

/** navigate shows another screen; replace keeps the back button from returning here. */
export function navigate(path, { replace = false } = {}) {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  scrollTo(0, 0);
  emit('route');
}

/** startRouter follows the back button and same-origin links. */
export function startRouter() {
  addEventListener('popstate', () => emit('route'));
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download') || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    if (matchRoute(url.pathname).name === 'notfound') return;
    ev.preventDefault();
    navigate(url.pathname + url.search);
  });
}
