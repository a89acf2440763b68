// Barcode decoding off the main thread: zxing-wasm takes tens of
// milliseconds per camera frame on a phone, which would make taps and a
// hardware scanner's keystrokes lag. The page sends frames (ImageData
// bytes, transferred, not copied); this worker answers with what it read.
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

/* global __ZXING_WASM__ */

// Return labels carry Code 128 (carriers, LPN, FNSKU) or QR / DataMatrix
// (RMA labels, our unit labels, badges); products carry EAN/UPC.
const OPTIONS = { formats: ['Code128', 'QRCode', 'DataMatrix', 'EANUPC'], tryHarder: true, maxNumberOfSymbols: 1 };

// The .wasm comes from our own origin (build.mjs copies it to /assets/), never a CDN.
const ready = prepareZXingModule({
  overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? __ZXING_WASM__ : prefix + path) },
  fireImmediately: true,
});

self.onmessage = async (event) => {
  const { id, width, height, data } = event.data;
  try {
    await ready;
    const results = await readBarcodes(new ImageData(new Uint8ClampedArray(data), width, height), OPTIONS);
    const r = results.find((x) => x.isValid && x.text);
    self.postMessage({ id, result: r ? { text: r.text, format: r.format } : null });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  }
};
