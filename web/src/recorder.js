// The unboxing video: one continuous MediaRecorder recording, delivered in
// one-second slices that are written to IndexedDB as they come. If the app
// crashes, the phone reboots or the tab is closed, everything up to the last
// slice is kept and declared as the video (see media.recoverRecordings).

import { appendChunk, finishVideo, startVideo } from './media.js';

const SLICE_MS = 1000;

const TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm', 'video/mp4;codecs=avc1', 'video/mp4'];

/** pickType is the first video type this browser records (Safari: MP4). */
export function pickType() {
  if (typeof MediaRecorder === 'undefined') return null;
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || '';
}

let active = null;

/** activeRecording is the recording in progress, if any (its media id). */
export function activeRecording() {
  return active;
}

/**
 * record starts filming stream for an inspection. onTick({elapsedMs, bytes})
 * is called after each stored slice and each second. Returns {id, stop()};
 * stop resolves with the finished media record once every slice is stored
 * and the file is hashed.
 */
export async function record(stream, inspectionId, user, onTick) {
  if (active) throw new Error('already recording');
  const type = pickType();
  if (type === null) throw new Error('MediaRecorder is not available');
  const rec = new MediaRecorder(stream, type ? { mimeType: type, videoBitsPerSecond: 2_500_000 } : {});
  const m = await startVideo(inspectionId, rec.mimeType || type || 'video/webm', user);
  const started = Date.now();
  let index = 0;
  let bytes = 0;
  let writes = Promise.resolve();
  let failed = null;
  const tick = () => onTick?.({ elapsedMs: Date.now() - started, bytes });

  rec.ondataavailable = (ev) => {
    if (!ev.data || ev.data.size === 0) return;
    const i = index++;
    bytes += ev.data.size;
    // Slices are written in order, one after the other.
    writes = writes.then(() => appendChunk(m.id, i, ev.data, Date.now() - started)).catch((err) => {
      failed = err; // storage full: the recording stops below
      try {
        rec.stop();
      } catch {
        // already stopped
      }
    });
    tick();
  };
  const stopped = new Promise((resolve) => {
    rec.onstop = resolve;
  });
  const clock = setInterval(tick, 1000);
  // Keep the screen on while filming; the video must stay continuous.
  let lock = null;
  navigator.wakeLock?.request('screen').then((l) => {
    lock = l;
  }).catch(() => {});
  active = m.id;
  rec.start(SLICE_MS);

  return {
    id: m.id,
    async stop() {
      clearInterval(clock);
      if (rec.state !== 'inactive') rec.stop();
      await stopped;
      await writes;
      lock?.release().catch(() => {});
      active = null;
      const done = await finishVideo(m.id, user.id, { interrupted: !!failed });
      if (failed) throw Object.assign(failed, { media: done });
      return done;
    },
  };
}
