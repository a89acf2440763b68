// Preact hooks over the event bus: a screen loads what it shows from the
// device's database and loads again when a topic it shows changes.
import { useEffect, useState, useCallback, useRef } from 'preact/hooks';
import { on } from './bus.js';

/** useTopic re-renders the component whenever one of topics is emitted. */
export function useTopic(topics) {
  const [, setTick] = useState(0);
  useEffect(() => on(topics, () => setTick((n) => n + 1)), [String(topics)]);
}

/**
 * useLoad runs the async loader now, when deps change and when a topic is
 * emitted; it returns [data, error, reload]. Stale answers are dropped.
 */
export function useLoad(loader, deps, topics = []) {
  const [state, setState] = useState({ data: undefined, error: null });
  const gen = useRef(0);
  const reload = useCallback(() => {
    const my = ++gen.current;
    Promise.resolve().then(loader).then(
      (data) => my === gen.current && setState({ data, error: null }),
      (error) => my === gen.current && setState((s) => ({ data: s.data, error })),
    );
  }, deps);
  useEffect(() => {
    reload();
    return on(topics, reload);
  }, [reload, String(topics)]);
  return [state.data, state.error, reload];
}

/** useNow re-renders every `ms` so that "2 min ago" and countdowns stay true. */
export function useNow(ms = 30000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}
