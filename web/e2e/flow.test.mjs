// The bench, end to end, in a real browser against the real server: the
// fake camera shows a parcel's return label; an inspector signs in, the scan
// finds the expected return, and the inspection is done with the label
// close-up, a 3 s unboxing video and photos. Then the network goes (the
// server is stopped, and every request of the browser is aborted): the
// inspection is finished offline and the app is reloaded offline. When the
// network is back, the queue drains and the server holds the completed
// inspection and every file, verified with the SHA-256 the browser computed.
//
// Screenshots of each step: test-output/e2e/flow/.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanup, controlled, fakeCamera, idb, launch, newServer, phone, recorder, sha256, signIn, waitFor,
} from './harness.mjs';

const CODE = '1Z999AA10123456784';
const LEAD = ['lead', 'lead-password-1'];
const INSPECTOR = ['ana', 'ana-password-1'];

after(cleanup);

/**
 * choose taps a radio card and waits until the app shows it chosen (the
 * screen re-renders from the device's database after each answer).
 */
async function choose(radio) {
  await radio.click();
  await waitFor('the answer to show', () => radio.isChecked(), { timeout: 10000, interval: 100 });
}

test('scan, inspect, lose the network, reload offline, sync: the server holds it all, verified', { timeout: 300000 }, async () => {
  const server = await newServer('flow');
  await server.addUser(LEAD[0], 'lead', LEAD[1]);
  await server.addUser(INSPECTOR[0], 'inspector', INSPECTOR[1]);
  await server.start();
  const lead = await server.login(...LEAD);
  const expected = await server.createReturn(lead, {
    order_id: '112-1234567-7654321', rma_id: 'DfqRyqfBRRMA', tracking_id: CODE,
    product_name: 'Acme Wireless Earbuds Pro (Black)', sku: 'ACME-EB-PRO-BLK', reason: 'CR-DEFECTIVE',
    buyer_comment: 'Left earbud stopped charging after two days.', order_amount: '89.99', currency: 'USD',
    channel: 'mfn', marketplace: 'US',
  });

  const camera = await fakeCamera(CODE, server.dir);
  const browser = await launch(camera);
  const { context, page } = await phone(browser);
  const rec = recorder(page, 'flow');
  try {
    // Sign in.
    await page.goto(`${server.base}/scan`);
    await page.getByRole('tab', { name: 'Password' }).waitFor();
    await rec.shot('login');
    await signIn(page, ...INSPECTOR);

    // The camera reads the label: nothing is typed.
    const card = page.getByTestId('return-card');
    await card.waitFor({ timeout: 60000 });
    await page.getByText(`Scanned: ${CODE}`).waitFor();
    const cardText = await card.textContent();
    assert.match(cardText, /Acme Wireless Earbuds Pro/);
    assert.equal(await page.getByRole('textbox', { name: /^Code/ }).inputValue(), CODE);
    await rec.shot('scan-result');
    await page.evaluate(() => scrollTo(0, 0));
    await rec.shot('scan-camera');

    // The label close-up.
    await page.getByTestId('start-inspection').click();
    await page.waitForURL('**/inspections/*');
    const inspectionId = new URL(page.url()).pathname.split('/').pop();
    const shutter = page.getByTestId('take-photo');
    await waitFor('the camera for photos', () => shutter.isEnabled());
    await rec.shot('label-step');
    await shutter.click();
    await page.getByTestId('label-photos').getByTestId('media-item').waitFor();
    await rec.shot('label-closeup');

    // The unboxing video: 3 s by the recorder's own clock.
    await page.getByTestId('next-step').click();
    const start = page.getByTestId('start-recording');
    await waitFor('the camera for the video', () => start.isEnabled());
    await start.click();
    const status = page.getByTestId('recording-status');
    await waitFor('3 s of recording', async () => {
      const m = /REC\s*(\d+):(\d\d)/.exec(await status.textContent());
      return m && Number(m[1]) * 60 + Number(m[2]) >= 3;
    }, { timeout: 30000, interval: 100 });
    await rec.shot('recording');
    await page.getByTestId('stop-recording').click();
    const video = page.getByTestId('videos').getByTestId('media-item');
    await video.waitFor();
    await waitFor('the video to be hashed', async () => !/Recording|Preparing/.test(await video.textContent()));
    await rec.shot('video');

    // Photos of the item.
    await page.getByTestId('next-step').click();
    await choose(page.getByRole('radio', { name: /^Contents/ }));
    await waitFor('the camera for photos', () => page.getByTestId('take-photo').isEnabled());
    await page.getByTestId('take-photo').click();
    await page.getByTestId('photos').getByTestId('media-item').waitFor();
    await rec.shot('photos');

    // Network cut: the server goes away (requests fail at TCP) and every
    // request of the browser, its service worker's too, is aborted.
    await controlled(page);
    await server.stop('SIGTERM');
    await context.route('**', (route) => route.abort('internetdisconnected'));
    await context.setOffline(true);
    await page.getByTestId('sync-status').filter({ hasText: 'Offline' }).waitFor();

    // One more photo with no network: at least this file waits for sure.
    await choose(page.getByRole('radio', { name: /^Accessories/ }));
    await waitFor('the camera for photos', () => page.getByTestId('take-photo').isEnabled());
    await page.getByTestId('take-photo').click();
    await waitFor('the offline photo', async () => (await page.getByTestId('photos').getByTestId('media-item').count()) === 2);
    await rec.shot('offline-photo');

    // Checklist, grade, verdict, fee, review: all offline.
    await page.getByTestId('next-step').click();
    const checklist = {
      outer_package_intact: true, factory_seal_intact: false, accessories_complete: true, signs_of_use: true,
      same_item: true, functional_test: true,
    };
    for (const [item, yes] of Object.entries(checklist)) {
      await choose(page.getByTestId(`check-${item}`).getByRole('radio', { name: yes ? 'Yes' : 'No', exact: true }));
    }
    await rec.shot('checklist');
    await page.getByTestId('next-step').click();
    await choose(page.getByRole('radio', { name: /^Refurbished/ }));
    await choose(page.getByRole('radio', { name: /^List as used/ }));
    await choose(page.getByRole('radio', { name: /Used – Good/ }));
    await rec.shot('grade');
    await page.getByTestId('next-step').click();
    await choose(page.getByRole('radio', { name: /^Claim disputed/ }));
    await rec.shot('verdict');
    await page.getByTestId('next-step').click();
    await page.getByTestId('use-suggestion').click();
    const fee = await waitFor('the suggested fee', async () => Number(await page.getByTestId('fee-input').inputValue()),
      { timeout: 10000, interval: 100 });
    await rec.shot('fee');
    await page.getByTestId('next-step').click();
    const notes = 'Both earbuds charge on the bench; case scuffed. Checked offline.';
    await page.getByRole('textbox', { name: 'Notes' }).fill(notes);
    await rec.shot('review');
    await page.getByTestId('complete').click();
    await page.getByTestId('completed').filter({ hasText: 'waiting to be sent' }).waitFor();
    await rec.shot('completed-offline');

    // Reload with no network: the service worker opens the app, the
    // device's database still has the inspection, its files and the queue.
    const reloaded = await page.reload();
    assert.ok(reloaded && reloaded.fromServiceWorker(), 'the page came from the service worker');
    await page.getByTestId('completed').filter({ hasText: 'waiting to be sent' }).waitFor();
    assert.equal((await page.getByTestId('current-user').textContent()).includes(INSPECTOR[0]), true);
    await page.getByText(notes).waitFor();
    await rec.shot('reloaded-offline');
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByTestId('queue-summary').filter({ hasText: '1 inspection' }).waitFor();
    const items = page.getByTestId('upload-item');
    await waitFor('the waiting files in the queue', async () => (await items.count()) >= 1);
    await rec.shot('queue-offline', { full: true });

    const [inspections, media, outbox] = await Promise.all([idb(page, 'inspections'), idb(page, 'media'), idb(page, 'outbox')]);
    const draft = inspections.find((i) => i.id === inspectionId);
    assert.ok(draft, 'the inspection is on the device');
    assert.equal(draft.status, 'completed');
    assert.equal(draft.complete_pending, true);
    assert.equal(draft.grade, 'refurbished_used');
    assert.equal(draft.disposition, 'list_used');
    assert.equal(draft.used_condition, 'good');
    assert.equal(draft.verdict, 'claim_disputed');
    assert.equal(draft.restocking_fee_percent, fee);
    assert.equal(draft.notes, notes);
    assert.deepEqual(draft.checklist, checklist, 'every checklist answer is kept');
    assert.ok(outbox.some((e) => e.type === 'inspection.complete' && e.payload.id === inspectionId), 'the completion is queued');
    const files = media.filter((m) => m.inspection_id === inspectionId);
    assert.deepEqual(files.map((m) => m.kind).sort(), ['accessories', 'contents', 'label_closeup', 'unboxing_video']);
    for (const m of files) assert.match(m.sha256, /^[0-9a-f]{64}$/, `${m.kind} was hashed on the device`);
    const film = files.find((m) => m.kind === 'unboxing_video');
    assert.ok(film.duration_ms >= 3000, `the unboxing video lasts ${film.duration_ms} ms`);
    assert.equal(film.content_type, 'video/webm');
    const waitingOnDevice = files.filter((m) => m.state !== 'verified');
    assert.ok(waitingOnDevice.length >= 1, 'files wait on the device');
    assert.equal(await items.count(), waitingOnDevice.length, 'the queue shows every waiting file');
    // What the browser computed, before anything reaches the server again.
    const browserHashes = Object.fromEntries(files.map((m) => [m.id, { sha256: m.sha256, size: m.size, kind: m.kind }]));

    // The network is back: the same server, port and data.
    await server.start();
    await context.unroute('**');
    await context.setOffline(false);
    await page.getByTestId('sync-now').click();
    let clicks = Date.now();
    await waitFor('the queue to drain', async () => {
      const [ob, md] = await Promise.all([idb(page, 'outbox'), idb(page, 'media')]);
      const left = md.filter((m) => m.inspection_id === inspectionId && m.state !== 'verified');
      if (ob.length === 0 && left.length === 0) return true;
      if (Date.now() - clicks > 15000) {
        // As a user would: another sync if nothing seems to happen.
        clicks = Date.now();
        await page.getByTestId('sync-now').click({ timeout: 5000 }).catch(() => {});
      }
      return false;
    }, { timeout: 120000, interval: 500 });
    await page.getByText('No files waiting.').waitFor();
    await page.getByText('0 changes waiting to be sent.').waitFor();
    await rec.shot('queue-synced', { full: true });

    // The server's side, asked as a lead.
    const got = await server.api('GET', `/api/v1/inspections/${inspectionId}`, { token: lead });
    const insp = got.inspection || got;
    assert.equal(insp.status, 'completed');
    assert.equal(insp.return_id, expected.id);
    assert.equal(insp.grade, 'refurbished_used');
    assert.equal(insp.verdict, 'claim_disputed');
    assert.equal(insp.notes, notes);
    assert.deepEqual(insp.checklist, checklist);
    const serverMedia = got.media || [];
    assert.deepEqual(serverMedia.map((m) => m.id).sort(), Object.keys(browserHashes).sort(), 'the server has every file');
    for (const [id, want] of Object.entries(browserHashes)) {
      const meta = await server.api('GET', `/api/v1/media/${id}/meta`, { token: lead });
      assert.equal(meta.status, 'verified', `${want.kind} is verified`);
      assert.equal(meta.sha256, want.sha256, `${want.kind}: the server's SHA-256 is the browser's`);
      assert.equal(meta.size, want.size, `${want.kind}: size`);
      const bytes = await server.bytes(`/api/v1/media/${id}`, lead);
      assert.equal(bytes.length, want.size, `${want.kind}: downloaded size`);
      assert.equal(sha256(bytes), want.sha256, `${want.kind}: the downloaded bytes hash to the browser's SHA-256`);
    }

    // The inspection as the bench sees it now.
    await page.goto(`${server.base}/inspections/${inspectionId}`);
    await page.getByTestId('completed').filter({ hasNotText: 'waiting to be sent' }).waitFor();
    await waitFor('every file shown safe on the server', async () =>
      (await page.getByText('Safe on server').count()) === files.length, { timeout: 30000 });
    await rec.shot('completed-synced', { full: true });
  } catch (err) {
    await rec.shot('failure', { full: true }).catch(() => {});
    throw err;
  } finally {
    rec.save(server);
  }
});
