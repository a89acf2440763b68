// Camera barcode reading. The browser's own BarcodeDetector is used where it
// exists (Chrome on Android, macOS, ChromeOS) and reads every format we need;
// elsewhere (iOS, desktop Linux, tests) zxing-wasm decodes frames in a
// worker. Its wasm file is served from our own origin (/assets/, precached by
// the service worker), never from a CDN: a bench on a LAN has no internet.

/* global __DECODE_WORKER__ */

// Return labels carry Code 128 (carriers, LPN, FNSKU) or QR / DataMatrix
// (RMA labels, our own unit labels); products carry EAN/UPC.
const NATIVE_FORMATS = ['code_128', 'qr_code', 'data_matrix', 'ean_13', 'ean_8', 'upc_a', 'upc_e'];

let decoderPromise = null;

async function nativeDecoder() {
  if (typeof globalThis.BarcodeDetector === 'undefined') return null;
  try {
    const supported = await globalThis.BarcodeDetector.getSupportedFormats();
    if (!NATIVE_FORMATS.every((f) => supported.includes(f))) return null;
    const det = new globalThis.BarcodeDetector({ formats: NATIVE_FORMATS });
    return {
      name: 'native',
      async decode(video) {
        const found = await det.detect(video);
        return found.length ? { text: found[0].rawValue, format: found[0].format } : null;
      },
    };
  } catch {
    return null;
  }
}

// zxingDecoder decodes in a worker (decode-worker.js): the page only draws
// the frame, at most 1280 px across (enough for a tracking barcode at arm's
// length; a full 1080p frame takes too long on a phone).
async function zxingDecoder() {
  const worker = new Worker(__DECODE_WORKER__);
  const pending = new Map();
  let seq = 0;
  worker.onmessage = (ev) => {
    const p = pending.get(ev.data.id);
    pending.delete(ev.data.id);
    if (!p) return;
    if (ev.data.error) p.reject(new Error(ev.data.error));
    else p.resolve(ev.data.result);
  };
  worker.onerror = (ev) => {
    for (const p of pending.values()) p.reject(new Error(ev.message || 'decoder failed'));
    pending.clear();
  };
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  return {
    name: 'zxing',
    decode(video) {
      const w = video.videoWidth;
      const h = video.videoHeight;
      if (!w || !h) return Promise.resolve(null);
      const scale = Math.min(1, 1280 / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      g.drawImage(video, 0, 0, canvas.width, canvas.height);
      const img = g.getImageData(0, 0, canvas.width, canvas.height);
      return new Promise((resolve, reject) => {
        const id = ++seq;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, width: img.width, height: img.height, data: img.data.buffer }, [img.data.buffer]);
      });
    },
  };
}

/** decoder returns the best available decoder, loading zxing-wasm on first need. */
export function decoder() {
  if (!decoderPromise) {
    decoderPromise = nativeDecoder().then((d) => d || zxingDecoder());
    decoderPromise.catch(() => {
      decoderPromise = null;
    });
  }
  return decoderPromise;
}

/**
 * scanLoop reads frames from a playing video until stopped, calling onCode
 * for each new code. The same code seen again within `repeatMs` is ignored,
 * so holding a label in view does not scan it twice. Returns stop().
 */
export function scanLoop(video, onCode, { intervalMs = 120, repeatMs = 2500, onError } = {}) {
  let stopped = false;
  let last = '';
  let lastAt = 0;
  let timer = 0;
  const tick = async () => {
    if (stopped) return;
    try {
      const dec = await decoder();
      if (!stopped && video.readyState >= 2) {
        const r = await dec.decode(video);
        const now = Date.now();
        if (r && !stopped && (r.text !== last || now - lastAt > repeatMs)) {
          last = r.text;
          lastAt = now;
          onCode(r.text, r.format);
        } else if (r) {
          lastAt = now;
        }
      }
    } catch (err) {
      onError?.(err);
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
