// A 200 MB unboxing video whose upload is cut by a server crash: the server
// is killed (SIGKILL) once the queue's progress bar has passed 20%, started
// again on the same port and data dir, and the app's tus upload resumes from
// the server's offset (not from zero) until the bar shows 100% and the
// server has the file, verified with the SHA-256 the browser computed.
//
// The bytes go through the app's real path: the wizard's Start/Stop
// recording buttons, recorder.js writing 8 MiB slices to IndexedDB, hashing,
// media.declare, sync and the tus uploader. Only the browser's MediaRecorder
// is replaced (a test double, like the fake camera): it "films" 200 MiB of
// WebM (a real EBML header naming "webm", then random bytes), which no
// camera could do in a test's time. The app offers no file import for
// videos, and its modules are bundled, so nothing of the app is called from
// the test.
//
// Screenshots: test-output/e2e/resume/.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanup, fakeCamera, idb, launch, newServer, phone, recorder, sha256, signIn, waitFor,
} from './harness.mjs';

const CODE = '1Z999AA10123456784';
const SIZE = 200 << 20; // 200 MiB
const SLICE = 8 << 20;
const UPLOAD_BYTES_PER_S = 16e6; // a fast Wi-Fi: the crash lands mid-upload, the test stays short

after(cleanup);

/** The MediaRecorder double, run in the page before the app. */
function longRecorder({ total, slice }) {
  const Real = window.MediaRecorder;
  if (!Real) return;
  // An EBML header (DocType "webm") and the start of a Segment of unknown size.
  const header = new Uint8Array([
    0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04,
    0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d, 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02,
    0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  ]);
  let seed = (Math.random() * 0xffffffff) | 1;
  const noise = (n) => {
    const a = new Uint32Array(n / 4);
    for (let i = 0; i < a.length; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      a[i] = seed;
    }
    return a;
  };
  class LongRecorder {
    static isTypeSupported(type) {
      return Real.isTypeSupported(type);
    }

    constructor(stream, options = {}) {
      this.stream = stream;
      this.mimeType = options.mimeType || 'video/webm';
      this.state = 'inactive';
      this.ondataavailable = null;
      this.onstop = null;
      this.done = false;
      this.finish = null;
    }

    start() {
      this.state = 'recording';
      let made = 0;
      const next = () => {
        if (made >= total) {
          this.done = true;
          this.finish?.();
          return;
        }
        const n = Math.min(slice, total - made);
        const parts = made === 0 ? [header, noise(n - header.length)] : [noise(n)];
        made += n;
        this.ondataavailable?.({ data: new Blob(parts, { type: this.mimeType }) });
        setTimeout(next, 20);
      };
      setTimeout(next, 0);
    }

    stop() {
      const end = () => {
        this.state = 'inactive';
        this.onstop?.(new Event('stop'));
      };
      if (this.done) setTimeout(end, 0);
      else this.finish = end;
    }
  }
  window.MediaRecorder = LongRecorder;
}

/**
 * watchProgress records, from the DOM, every value the queue screen's
 * progress bar of the unboxing video shows (the highest fraction, and
 * whether it was ever full).
 */
function watchProgress() {
  const seen = { max: 0, last: 0, full: false, samples: 0 };
  const look = () => {
    for (const item of document.querySelectorAll('[data-testid="upload-item"]')) {
      if (!item.textContent.includes('Unboxing video')) continue;
      const bar = item.querySelector('progress');
      if (!bar || !bar.max) continue;
      const f = bar.value / bar.max;
      seen.samples++;
      seen.last = f;
      seen.max = Math.max(seen.max, f);
      if (bar.value >= bar.max && !seen.full) {
        seen.full = true;
        seen.fullState = item.querySelector('.media-state')?.textContent;
      }
    }
  };
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  look();
  window.__uploadProgress = seen; // read by the test only
}

test('a 200 MB video upload survives a server crash and resumes to 100%', { timeout: 180000 }, async (t) => {
  const server = await newServer('resume');
  await server.addUser('lead', 'lead', 'lead-password-1');
  await server.addUser('ana', 'inspector', 'ana-password-1');
  await server.start();
  const lead = await server.login('lead', 'lead-password-1');
  await server.createReturn(lead, {
    order_id: '112-7654321-1234567', tracking_id: CODE, product_name: '4K Action Camera', sku: 'CAM-4K-01',
    reason: 'NOT_AS_DESCRIBED', order_amount: '199.00', currency: 'USD', channel: 'mfn', marketplace: 'US',
  });

  const browser = await launch(await fakeCamera(CODE, server.dir));
  const { context, page } = await phone(browser);
  await context.addInitScript(longRecorder, { total: SIZE, slice: SLICE });
  const rec = recorder(page, 'resume');
  // Every PATCH of the upload, with the offset it starts at.
  const patches = [];
  page.on('request', (r) => {
    if (r.method() === 'PATCH' && r.url().includes('/api/v1/uploads/')) {
      patches.push({ url: r.url(), offset: Number(r.headers()['upload-offset']), at: Date.now() });
    }
  });
  try {
    await page.goto(`${server.base}/scan`);
    await signIn(page, 'ana', 'ana-password-1');
    await page.getByTestId('return-card').waitFor({ timeout: 60000 });
    await page.getByTestId('start-inspection').click();
    await page.waitForURL('**/inspections/*');
    const inspectionId = new URL(page.url()).pathname.split('/').pop();
    await waitFor('the camera for photos', () => page.getByTestId('take-photo').isEnabled());
    await page.getByTestId('take-photo').click();
    await page.getByTestId('label-photos').getByTestId('media-item').waitFor();

    // The phone's link: fast, but slower than loopback.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: UPLOAD_BYTES_PER_S,
    });

    // "Film" 200 MiB with the wizard's own buttons.
    await page.getByTestId('next-step').click();
    await waitFor('the camera for the video', () => page.getByTestId('start-recording').isEnabled());
    await page.getByTestId('start-recording').click();
    const recorded = page.getByTestId('recording-status').locator('.rec-size');
    await waitFor('200 MiB recorded', async () => (await recorded.textContent()) === '210 MB', { timeout: 60000 }); // 209,715,200 bytes
    await rec.shot('recorded-200mb');
    await page.getByTestId('stop-recording').click();
    const video = page.getByTestId('videos').getByTestId('media-item');
    await video.waitFor();
    await waitFor('the video to be hashed', async () => !/Recording|Preparing/.test(await video.textContent()),
      { timeout: 60000 });
    const local = (await idb(page, 'media')).find((m) => m.inspection_id === inspectionId && m.kind === 'unboxing_video');
    assert.equal(local.size, SIZE);
    assert.match(local.sha256, /^[0-9a-f]{64}$/);

    // Watch the queue's progress bar.
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    await page.evaluate(watchProgress);
    const progress = () => page.evaluate(() => ({ ...window.__uploadProgress }));

    const before = await waitFor('the progress bar past 20%', async () => {
      const p = await progress();
      return p.last > 0.2 && p;
    }, { timeout: 90000, interval: 100 });
    await server.stop('SIGKILL');
    const killedAt = Date.now();
    assert.ok(before.last < 1, `the upload was still running when the server died (${before.last})`);
    await rec.shot('server-killed', { full: true });

    await server.start();
    await waitFor('the upload to move on', async () => {
      const p = await progress();
      return p.full || p.last > before.last + 0.15;
    }, { timeout: 60000, interval: 100 });
    await rec.shot('upload-resumed', { full: true });
    const done = await waitFor('the progress bar at 100% and the file verified', async () => {
      const p = await progress();
      const m = (await idb(page, 'media')).find((x) => x.id === local.id);
      return p.full && m.state === 'verified' && p;
    }, { timeout: 90000, interval: 250 });
    await page.getByText('No files waiting.').waitFor();
    await rec.shot('upload-done', { full: true });

    // The upload resumed: the same tus upload, from the offset the server kept.
    const after = patches.filter((p) => p.at > killedAt);
    assert.ok(after.length > 0, 'PATCHes after the restart');
    const uploadURL = patches.filter((p) => p.at <= killedAt).at(-1).url;
    assert.ok(after.every((p) => p.url === uploadURL), 'the same upload continued');
    assert.ok(after[0].offset > 0, `resumed from offset ${after[0].offset}, not from zero`);
    assert.ok(after.length <= Math.ceil((SIZE - after[0].offset) / SLICE) + 2, 'no chunk sent twice after resuming');
    assert.ok(done.max >= 1);
    t.diagnostic(`server killed with the bar at ${(before.last * 100).toFixed(1)}%; resumed at byte ${after[0].offset} ` +
      `(${(after[0].offset / SIZE * 100).toFixed(1)}%) in ${after.length} PATCHes; bar samples: ${done.samples}; full while ${done.fullState}`);

    const meta = await server.api('GET', `/api/v1/media/${local.id}/meta`, { token: lead });
    assert.equal(meta.status, 'verified');
    assert.equal(meta.size, SIZE);
    assert.equal(meta.sha256, local.sha256, "the server's SHA-256 is the browser's");
    const bytes = await server.bytes(`/api/v1/media/${local.id}`, lead);
    assert.equal(bytes.length, SIZE);
    assert.equal(sha256(bytes), local.sha256, 'the stored bytes hash to the SHA-256 the browser computed');
    assert.deepEqual([...bytes.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3]);
  } catch (err) {
    await rec.shot('failure', { full: true }).catch(() => {});
    throw err;
  } finally {
    rec.save(server);
  }
});
