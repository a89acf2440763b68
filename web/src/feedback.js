// A beep and a buzz on a good scan: at a noisy bench with gloves on, the
// inspector must know the scan took without looking at the screen.

let ctx = null;

/** unlock prepares audio on the first tap: browsers refuse sound before a user gesture. */
export function unlock() {
  if (ctx || typeof AudioContext === 'undefined') return;
  try {
    ctx = new AudioContext();
  } catch {
    ctx = null;
  }
}

function tone(freq, ms, at = 0) {
  if (!ctx) return;
  const t = ctx.currentTime + at;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = freq;
  osc.type = 'square';
  gain.gain.setValueAtTime(0.15, t);
  gain.gain.exponentialRampToValueAtTime(0.001, t + ms / 1000);
  osc.connect(gain).connect(ctx.destination);
  osc.start(t);
  osc.stop(t + ms / 1000);
}

/** ok: one short high beep and a short buzz. */
export function scanOK() {
  if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
  tone(1760, 90);
  navigator.vibrate?.(60);
}

/** notFound: two low beeps and a longer buzz, for a scan that matched nothing. */
export function scanUnknown() {
  if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
  tone(440, 120);
  tone(440, 120, 0.18);
  navigator.vibrate?.([80, 60, 80]);
}
