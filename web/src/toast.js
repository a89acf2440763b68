// Short messages at the bottom of the screen ("Saved offline", "2 changes
// refused: see the queue"). Each is a translation key with its parameters,
// so a message shows in the language chosen when it is read.
import { emit } from './bus.js';

export const toasts = [];
let next = 1;

/** notify shows a message for a few seconds; kind "error" stays until dismissed. */
export function notify(key, params = {}, kind = 'info') {
  const t = { id: next++, key, params, kind };
  toasts.push(t);
  emit('toasts');
  if (kind !== 'error') setTimeout(() => dismissToast(t.id), kind === 'brief' ? 2500 : 5000);
}

export function dismissToast(id) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) {
    toasts.splice(i, 1);
    emit('toasts');
  }
}
