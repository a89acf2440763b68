// The browser tests' harness: the real server binary on a free loopback port
// with a temp data dir, users and expected returns made the way staff make
// them, a fake camera showing a return label, and Debian's Chromium driven
// by playwright-core. It builds nothing: `make build` makes bin/returnbench
// (with the app embedded) first.
//
// Every process started here is killed when the test process ends, however
// it ends; temp dirs go with it (E2E_KEEP=1 keeps them for a look).

import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.RETURNBENCH_BIN || path.join(ROOT, 'bin/returnbench');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUTPUT = path.join(ROOT, 'test-output/e2e');

// Launch args that work on these machines (see ../shared/TESTING.md).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// ---- cleanup, whatever happens ----

const children = new Set();
const tempDirs = new Set();
const browsers = new Set();

function cleanupSync() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  if (process.env.E2E_KEEP !== '1') {
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    cleanupSync();
    process.exit(128 + (os.constants.signals[sig] || 1));
  });
}

/** cleanup closes the browsers and stops the servers of this test file. */
export async function cleanup() {
  await Promise.allSettled([...browsers].map((b) => b.close()));
  browsers.clear();
  cleanupSync();
}

export function tempDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `rb-e2e-${prefix}-`));
  tempDirs.add(d);
  return d;
}

// ---- small helpers ----

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/**
 * waitFor polls fn until it returns a truthy value (returned) or the time is
 * up (throws, naming what was awaited and the last value or error seen).
 */
export async function waitFor(what, fn, { timeout = 30000, interval = 200 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${seen})`);
    }
    await sleep(interval);
  }
}

/** freePort asks the kernel for a loopback port nobody listens on. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, args, { input, cwd = ROOT, timeout = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { cwd, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

// ---- the server ----

export class Server {
  constructor({ name, port, dir, dataDir, logFile }) {
    Object.assign(this, { name, port, dir, dataDir, logFile, proc: null, exited: null });
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** addUser creates a user with the binary's own command (password on stdin). */
  async addUser(username, role, password) {
    await run(BIN, ['user', 'add', username, '--role', role, '--data-dir', this.dataDir], { input: `${password}\n` });
  }

  /** start runs the server (again: same port, same data dir) and waits until it answers. */
  async start({ timeout = 30000 } = {}) {
    if (this.proc) throw new Error('server already running');
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(log, `---- start ${new Date().toISOString()}\n`);
    const proc = spawn(BIN, ['serve', '--addr', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir,
      '--public-url', this.base], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    children.add(proc);
    this.proc = proc;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        children.delete(proc);
        resolve({ code, signal });
      });
    });
    let gone = null;
    this.exited.then((x) => {
      gone = x;
    });
    await waitFor(`${this.name} server on ${this.base}`, async () => {
      if (gone) throw new Error(`server exited (${JSON.stringify(gone)}): ${this.logTail()}`);
      const res = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    }, { timeout, interval: 100 });
    if (gone) throw new Error(`server exited at start: ${this.logTail()}`);
  }

  /**
   * stop ends the server with signal (SIGTERM: a clean shutdown, SIGKILL: a
   * crash) and waits for the process to be gone; a SIGTERM that hangs is
   * followed by SIGKILL.
   */
  async stop(signal = 'SIGTERM', { timeout = 15000 } = {}) {
    const proc = this.proc;
    if (!proc) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeout);
    await this.exited;
    clearTimeout(timer);
    this.proc = null;
  }

  logTail(n = 30) {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  }

  /** api calls the JSON API; a status other than 2xx throws. */
  async api(method, p, { token, body, timeout = 30000 } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.base + p, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeout),
    });
    const text = await res.text();
    if (!res.ok) throw Object.assign(new Error(`${method} ${p}: ${res.status} ${text}`), { status: res.status });
    return text ? JSON.parse(text) : null;
  }

  /** bytes downloads a file of the API. */
  async bytes(p, token, { timeout = 120000 } = {}) {
    const res = await fetch(this.base + p, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeout) });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async login(username, password) {
    const res = await this.api('POST', '/api/v1/auth/login', { body: { username, password } });
    return res.token;
  }

  /** createReturn records an expected return, as a lead does (POST /api/v1/returns). */
  createReturn(token, fields) {
    return this.api('POST', '/api/v1/returns', { token, body: fields });
  }
}

/** newServer prepares a server on a free port with a fresh data dir (not started). */
export async function newServer(name) {
  const dir = tempDir(name);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run make build first`);
  return new Server({ name, port: await freePort(), dir, dataDir, logFile: path.join(dir, 'server.log') });
}

// ---- the fake camera ----

/**
 * fakeCamera renders a return label with a Code 128 of code
 * (web/e2e/tools/labelpng) and turns it into the Y4M video Chromium's fake
 * capture device plays in a loop. Returns the video's absolute path.
 */
export async function fakeCamera(code, dir) {
  const png = path.join(dir, 'label.png');
  const y4m = path.join(dir, 'camera.y4m');
  await run('go', ['run', './web/e2e/tools/labelpng', code, png], { timeout: 300000 });
  await run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-loop', '1', '-i', png,
    '-vf', 'pad=1280:720:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p', '-t', '2', '-r', '15', y4m]);
  return y4m;
}

// ---- the browser ----

/** launch starts Debian's Chromium, its camera showing the y4m video. */
export async function launch(cameraY4m) {
  const args = [...CHROMIUM_ARGS];
  if (cameraY4m) {
    args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${path.resolve(cameraY4m)}`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout: 60000 });
  browsers.add(browser);
  return browser;
}

/** phone opens a phone-sized context and page, in English, camera allowed. */
export async function phone(browser, { locale = 'en-US' } = {}) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale, permissions: ['camera'],
  });
  context.setDefaultTimeout(30000);
  context.setDefaultNavigationTimeout(30000);
  const page = await context.newPage();
  return { context, page };
}

/**
 * recorder keeps what a test saw: numbered screenshots (01-login.png, ...)
 * and the page's console errors, in test-output/e2e/<name>/.
 */
export function recorder(page, name) {
  const dir = path.join(OUTPUT, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const logs = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') logs.push(`${new Date().toISOString()} ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => logs.push(`${new Date().toISOString()} pageerror: ${e.message}`));
  let n = 0;
  return {
    dir,
    logs,
    /** shot saves a screenshot of the page (the whole page with full). */
    async shot(label, { full = false } = {}) {
      // A whole page is taken from the top (the header is sticky).
      if (full) await page.evaluate(() => scrollTo(0, 0));
      await settled(page);
      const file = path.join(dir, `${String(++n).padStart(2, '0')}-${label}.png`);
      await page.screenshot({ path: file, fullPage: full, animations: 'disabled', caret: 'hide', timeout: 30000 });
      return file;
    },
    /** save writes the console log and the server's log next to the screenshots. */
    save(server) {
      fs.writeFileSync(path.join(dir, 'console.log'), logs.join('\n') + (logs.length ? '\n' : ''));
      if (server) fs.copyFileSync(server.logFile, path.join(dir, 'server.log'));
    },
  };
}

/** settled waits until the page has stopped scrolling (the app scrolls results into view smoothly). */
export async function settled(page) {
  let last = null;
  let same = 0;
  await waitFor('the page to stop scrolling', async () => {
    const y = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(scrollY))));
    same = y === last ? same + 1 : 0;
    last = y;
    return same >= 3;
  }, { timeout: 5000, interval: 50 }).catch(() => {});
}

/** signIn signs in with a username and password on the login screen. */
export async function signIn(page, username, password) {
  await page.getByRole('tab', { name: 'Password' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**/scan');
}

/** idb reads a store of the app's IndexedDB (for assertions only). */
export function idb(page, store) {
  return page.evaluate((name) => new Promise((resolve, reject) => {
    const open = indexedDB.open('returnbench');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const q = db.transaction(name, 'readonly').objectStore(name).getAll();
      q.onsuccess = () => {
        db.close();
        // Blobs do not cross into the test: keep the plain fields.
        resolve(JSON.parse(JSON.stringify(q.result)));
      };
      q.onerror = () => reject(q.error);
    };
  }), store);
}

/** controlled waits until the service worker controls the page (the app opens offline). */
export async function controlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await waitFor('the service worker to control the page', () => page.evaluate(() => !!navigator.serviceWorker.controller));
}
