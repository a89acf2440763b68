// Benchmark of the bench app (`node web/e2e/bench.mjs`, run by `make bench`):
//
// 1. the gzipped size of the app's JS + CSS in web/dist (what build.mjs
//    checks against its budget; the decoder's wasm is shown apart),
// 2. the time from navigation start to the first decoded barcode: the
//    fake camera shows a return label, and the clock stops when the scan
//    screen shows "Scanned: <code>". Measured inside the page against the
//    navigation's own time origin (the app has no performance marks), on a
//    signed-in, service-worker-cached app, as at the bench; the median of
//    RUNS page loads.
//
// It needs bin/returnbench (make build) and Debian's Chromium.

import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { cleanup, controlled, fakeCamera, launch, newServer, phone, ROOT, signIn } from './harness.mjs';

const RUNS = Number(process.env.RUNS || 5);
const CODE = '1Z999AA10123456784';
const DIST = path.join(ROOT, 'web/dist');

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function bundleSize() {
  const assets = path.join(DIST, 'assets');
  const files = fs.readdirSync(assets).filter((n) => /\.(js|css)$/.test(n)).map((n) => path.join(assets, n));
  files.push(path.join(DIST, 'sw.js')); // counted by build.mjs too
  const gz = (f) => gzipSync(fs.readFileSync(f), { level: 9 }).length;
  const total = files.reduce((n, f) => n + gz(f), 0);
  const raw = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const wasm = fs.readdirSync(assets).filter((n) => n.endsWith('.wasm')).reduce((n, f) => n + gz(path.join(assets, f)), 0);
  return { total, raw, files: files.length, wasm };
}

/** Runs in the page before the app: notes when "Scanned: <code>" first shows. */
function stopwatch(code) {
  const look = () => {
    if (window.__firstScanMs) return;
    const el = document.querySelector('.result-code');
    if (el && el.textContent.includes(code)) window.__firstScanMs = performance.now();
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
}

async function main() {
  const size = bundleSize();
  console.log(`bench app bundle: JS + CSS ${kb(size.total)} gzipped (${kb(size.raw)} raw, ${size.files} files); ` +
    `barcode decoder wasm ${kb(size.wasm)} gzipped, not counted`);

  const server = await newServer('bench');
  await server.addUser('lead', 'lead', 'lead-password-1');
  await server.addUser('ana', 'inspector', 'ana-password-1');
  await server.start();
  const lead = await server.login('lead', 'lead-password-1');
  await server.createReturn(lead, {
    order_id: '112-1234567-7654321', tracking_id: CODE, product_name: 'Acme Wireless Earbuds Pro (Black)',
    reason: 'CR-DEFECTIVE', channel: 'mfn', marketplace: 'US',
  });
  const browser = await launch(await fakeCamera(CODE, server.dir));
  const { context, page } = await phone(browser);
  await context.addInitScript(stopwatch, CODE);

  // Sign in once; the app is then installed (service worker) and has pulled the returns.
  await page.goto(`${server.base}/scan`);
  await signIn(page, 'ana', 'ana-password-1');
  await controlled(page);
  await page.locator('.result-code').filter({ hasText: CODE }).waitFor({ timeout: 60000 });
  await page.close();

  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await context.newPage();
    await p.goto(`${server.base}/scan`);
    await p.locator('.result-code').filter({ hasText: CODE }).waitFor({ timeout: 60000 });
    const ms = await p.evaluate(() => window.__firstScanMs);
    if (!ms) throw new Error('the stopwatch saw no scan');
    times.push(ms);
    await p.close();
  }
  const version = browser.version();
  console.log(`first decoded barcode after page load: median ${median(times).toFixed(0)} ms over ${RUNS} runs ` +
    `(${times.map((t) => t.toFixed(0)).join(', ')} ms; Chromium ${version}, fake camera 1280x720, Code 128)`);
}

main().then(cleanup, async (err) => {
  console.error('bench failed:', err);
  await cleanup();
  process.exitCode = 1;
});
