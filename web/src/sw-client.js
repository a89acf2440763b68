// The service worker from the page's side: register it, notice when a new
// version has been installed and waits, and switch to it only when the
// inspector says so (never in the middle of a recording).
import { emit } from './bus.js';

export const update = { waiting: null };
let applying = false;

export async function registerSW() {
  if (!('serviceWorker' in navigator)) return;
  let reg;
  try {
    reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch {
    return; // no secure context (plain http on a LAN address): the app still runs online
  }
  const offer = (w) => {
    // With no controller this is the first install, not an update.
    if (w && navigator.serviceWorker.controller) {
      update.waiting = w;
      emit('update');
    }
  };
  offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const w = reg.installing;
    w?.addEventListener('statechange', () => {
      if (w.state === 'installed') offer(w);
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (applying) location.reload();
  });
  // Phones keep a PWA open for days: look for a new version now and then.
  const check = () => reg.update().catch(() => {});
  setInterval(check, 30 * 60 * 1000);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check();
  });
}

/** applyUpdate activates the waiting version and reloads into it. */
export function applyUpdate() {
  if (!update.waiting) return;
  applying = true;
  update.waiting.postMessage({ type: 'SKIP_WAITING' });
}
