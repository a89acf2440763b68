// One event bus for "something changed": writers emit a topic after they
// commit to IndexedDB, screens that show that topic load again. Simpler and
// harder to get wrong than keeping a second copy of the data in memory.
const target = new EventTarget();

/** emit tells listeners that the data of these topics changed. */
export function emit(...topics) {
  for (const t of topics) target.dispatchEvent(new CustomEvent(t));
}

/** on calls fn when any of topics is emitted; it returns the unsubscribe. */
export function on(topics, fn) {
  const list = Array.isArray(topics) ? topics : [topics];
  for (const t of list) target.addEventListener(t, fn);
  return () => list.forEach((t) => target.removeEventListener(t, fn));
}
