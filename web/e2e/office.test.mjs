// The back office in a real browser against the real server: a lead imports
// Amazon reports through the app (the upload's progress bar reaches 100 %,
// the counts come back, an unknown layout shows the server's message), reads
// the watch lists and downloads one as CSV, opens the dashboard and its SVG
// charts, and then, offline, still sees the last loaded list with its time
// while the actions say they need the network.
//
// Screenshots: test-output/e2e/office/.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, cleanup, launch, newServer, recorder, signIn, waitFor } from './harness.mjs';

const LEAD = ['lead', 'lead-password-1'];
const REPORTS = path.join(ROOT, 'server/testdata/reports');

after(cleanup);

async function importFile(page, name) {
  await page.getByTestId('import-file').setInputFiles(path.join(REPORTS, name));
  await page.getByTestId('import-start').click();
  await waitFor(`the import of ${name} to end`, async () =>
    (await page.getByTestId('import-result').count()) || (await page.getByTestId('import-error').count()));
}

test('a lead imports reports, reads the watch lists, downloads a CSV and sees the dashboard', { timeout: 240000 }, async () => {
  const server = await newServer('office');
  await server.addUser(LEAD[0], 'lead', LEAD[1]);
  await server.start();
  const token = await server.login(...LEAD);
  // A refund for an FBA order that never came back: refunded-not-returned has a row.
  const refundedAt = new Date(Date.now() - 50 * 86400000).toISOString();
  await server.api('POST', '/api/v1/refunds', {
    token,
    body: { order_id: '113-5555555-0000001', sku: 'TOASTER-02', item_name: 'Toaster, 2 slots', amount: 39.9, currency: 'USD',
      refunded_at: refundedAt, channel: 'fba' },
  });

  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US', acceptDownloads: true });
  context.setDefaultTimeout(30000);
  const page = await context.newPage();
  const rec = recorder(page, 'office');
  try {
    await page.goto(`${server.base}/login`);
    await signIn(page, ...LEAD);
    await page.getByRole('link', { name: 'Office' }).click();
    await page.waitForURL('**/office');
    await page.getByTestId('office-import').click();
    await page.getByRole('heading', { name: 'Import an Amazon report' }).waitFor();
    await rec.shot('import-empty');

    // FBA Customer Returns: 4 new returns; the bar shows every byte sent.
    await importFile(page, 'fba_customer_returns.tsv');
    const progress = page.getByTestId('import-progress');
    assert.equal(await progress.getAttribute('data-percent'), '100');
    const bar = progress.locator('progress');
    assert.equal(await bar.getAttribute('value'), await bar.getAttribute('max'));
    // Bytes of the whole request: the file and the form around it.
    assert.ok(Number(await bar.getAttribute('max')) >= fs.statSync(path.join(REPORTS, 'fba_customer_returns.tsv')).size);
    assert.match(await page.getByTestId('import-progress-text').textContent(), /100%/);
    assert.match(await page.getByTestId('import-inserted').textContent(), /Inserted\s*4/);
    assert.match(await page.getByTestId('import-result').textContent(), /FBA Customer Returns/);
    await rec.shot('import-returns', { full: true });

    // FBA Reimbursements.
    await importFile(page, 'fba_reimbursements.tsv');
    assert.match(await page.getByTestId('import-result').textContent(), /FBA Reimbursements/);
    assert.match(await page.getByTestId('import-rows').textContent(), /Rows\s*2/);
    await rec.shot('import-reimbursements', { full: true });

    // A file of no known layout: the server's 422 message is shown.
    await importFile(page, 'unknown_layout.csv');
    const err = await page.getByTestId('import-error').textContent();
    assert.match(err, /did not go through/);
    assert.ok(err.length > 40, `the server's message is shown: ${err}`);
    await rec.shot('import-unknown-layout');

    // The watch lists: the refunded FBA unit that never came back.
    await page.getByTestId('office-watch').click();
    const list = page.getByTestId('watch-list');
    await waitFor('the refunded-not-returned list', async () => (await list.getAttribute('data-list')) === 'refunded-not-returned');
    const row = page.getByTestId('watch-row').filter({ hasText: '113-5555555-0000001' });
    await row.waitFor();
    assert.match(await row.textContent(), /Toaster/);
    assert.ok(await row.getByTestId('status-badge').count() >= 1, 'the row has a status badge');
    assert.match(await page.getByTestId('watch-count').textContent(), /\d+ rows?/);
    await rec.shot('watch-refunded-not-returned', { full: true });

    // Its CSV, downloaded with the session cookie.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('watch-csv').click()]);
    assert.match(download.suggestedFilename(), /^refunded-not-returned-\d{8}\.csv$/);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    const [header, ...lines] = csv.trim().split(/\r?\n/);
    assert.ok(header.startsWith('return_id,site_id,marketplace,order_id,sku'), header);
    assert.ok(lines.some((l) => l.includes('113-5555555-0000001')), 'the CSV holds the row');

    // Another list, to see the tabs work.
    await page.getByTestId('watch-tab-refund-due').click();
    await waitFor('the refund-due list', async () => (await list.getAttribute('data-list')) === 'refund-due');
    await page.getByTestId('watch-count').waitFor();
    await rec.shot('watch-refund-due');

    // The dashboard: the reports' period, charts in SVG.
    await page.getByTestId('office-dashboard').click();
    await page.getByTestId('dashboard').waitFor();
    await page.getByTestId('dashboard-from').fill('2025-07-01');
    await page.getByTestId('dashboard-show').click();
    await waitFor('the period to show', async () => /2025/.test(await page.getByTestId('dashboard').textContent()));
    assert.match(await page.getByTestId('money-recovered').textContent(), /Reimbursed\s*24\.50/);
    const money = page.getByTestId('chart-money');
    assert.ok(await money.locator('svg rect.bar').count() >= 1, 'the money chart has bars');
    assert.match(await money.locator('figcaption').textContent(), /Recovered and at risk/);
    assert.ok(await money.locator('table caption').count() === 1, 'the chart has a text alternative');
    assert.ok(await page.getByTestId('chart-grades').locator('svg polyline').count() >= 1, 'the grades chart is drawn');
    await rec.shot('dashboard', { full: true });

    // Offline: the last loaded list with its time; actions need the network.
    await page.getByTestId('office-watch').click();
    await page.getByTestId('watch-row').first().waitFor();
    await context.setOffline(true);
    await page.getByTestId('watch-tab-refund-due').click();
    await page.getByTestId('watch-tab-refunded-not-returned').click();
    await waitFor('the kept copy notice', async () => /Offline: showing what was loaded/.test(await page.getByTestId('office-kept').textContent()));
    await page.getByTestId('watch-row').filter({ hasText: '113-5555555-0000001' }).waitFor();
    assert.equal(await page.getByTestId('watch-csv').count(), 0);
    await rec.shot('watch-offline');
    await page.getByTestId('office-import').click();
    await page.getByTestId('needs-network').waitFor();
    assert.equal(await page.getByTestId('import-start').isDisabled(), true);
    await rec.shot('import-offline');
    await context.setOffline(false);
  } finally {
    rec.save(server);
    await context.close();
  }
});
