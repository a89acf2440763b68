// Builds the bench app into dist/, which the Go binary embeds (web.go).
//
//   node build.mjs
//
// 1. bundles src/ with esbuild into dist/assets/ under content-hashed names
//    (the server caches /assets/ for a year; a new build means new names),
// 2. copies zxing-wasm's reader .wasm there, also hashed, served from our
//    own origin (no CDN: a bench LAN has no internet),
// 3. writes dist/index.html, the manifest and PNG icons drawn here,
// 4. writes dist/sw.js with the precache list and a build version,
// 5. prints the gzipped size of the app's JS + CSS and fails above budget.

import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { gzipSync, deflateSync } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const assets = path.join(dist, 'assets');
const BUDGET = 150 * 1024; // bytes of gzipped JS + CSS, the decoder's wasm not counted

// The paths the server answers with index.html (history routing); the
// service worker answers the same ones offline. Keep in step with web.go.
const APP_ROUTES = ['/u/', '/01/', '/inspections/', '/returns/', '/scan', '/queue', '/login', '/settings', '/office'];

const sha = (buf, n = 12) => createHash('sha256').update(buf).digest('hex').slice(0, n);

function clean() {
  fs.mkdirSync(dist, { recursive: true });
  for (const name of fs.readdirSync(dist)) {
    if (name !== '.gitkeep') fs.rmSync(path.join(dist, name), { recursive: true, force: true });
  }
  fs.mkdirSync(assets, { recursive: true });
  fs.mkdirSync(path.join(dist, 'icons'), { recursive: true });
}

// appVersion names this build in the settings screen: the package version
// and a hash of the sources, so the same sources give the same version.
function appVersion() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else h.update(name).update(fs.readFileSync(p));
    }
  };
  walk(src);
  h.update(fs.readFileSync(path.join(root, 'package-lock.json')));
  return `${pkg.version}+${h.digest('hex').slice(0, 8)}`;
}

function copyWasm() {
  const from = path.join(root, 'node_modules/zxing-wasm/dist/reader/zxing_reader.wasm');
  const bytes = fs.readFileSync(from);
  const name = `zxing_reader-${sha(bytes, 10)}.wasm`;
  fs.writeFileSync(path.join(assets, name), bytes);
  return `/assets/${name}`;
}

// The barcode decoder's worker, built first: the app needs its hashed name.
async function bundleWorker(wasmURL) {
  const result = await esbuild.build({
    entryPoints: [path.join(src, 'decode-worker.js')],
    bundle: true,
    format: 'iife', // a classic worker: module workers are newer on iOS
    outdir: assets,
    entryNames: 'decode-worker-[hash]',
    minify: true,
    legalComments: 'none',
    target: ['es2020', 'safari15', 'chrome90'],
    define: { __ZXING_WASM__: JSON.stringify(wasmURL), 'import.meta.url': 'self.location.href' },
    metafile: true,
    logLevel: 'warning',
  });
  const out = Object.keys(result.metafile.outputs).find((f) => f.endsWith('.js'));
  return `/${path.relative(dist, out)}`;
}

async function bundle(wasmURL, workerURL, version) {
  const result = await esbuild.build({
    entryPoints: [path.join(src, 'main.jsx')],
    bundle: true,
    splitting: true, // hash-wasm loads only when a video is first hashed
    format: 'esm',
    outdir: assets,
    entryNames: 'app-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    minify: true,
    legalComments: 'none',
    target: ['es2020', 'safari15', 'chrome90'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { __DECODE_WORKER__: JSON.stringify(workerURL), __APP_VERSION__: JSON.stringify(version) },
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, o]) => o.entryPoint);
  const js = `/${path.relative(dist, entry[0])}`;
  const css = `/${path.relative(dist, entry[1].cssBundle)}`;
  return { js, css };
}

// ---- PNG icons, drawn pixel by pixel (no image tools needed) ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function encodePNG(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

const NAVY = [11, 46, 107, 255];
const WHITE = [255, 255, 255, 255];
const INK = [10, 10, 10, 255];
const AMBER = [255, 196, 0, 255];
const BARS = [2, 1, 1, 3, 1, 2, 2, 1, 3, 1, 1, 2, 1, 3, 2, 1, 1, 2]; // widths of bars and gaps

// The icon: a white shipping label with a barcode and an amber band on navy.
// scale is the label's share of the icon (smaller for maskable icons, whose
// edges a launcher may cut off).
function icon(scale) {
  const total = BARS.reduce((a, b) => a + b, 0);
  return (x, y) => {
    const m = (1 - scale) / 2;
    const u = (x - m) / scale;
    const v = (y - m) / scale;
    if (u < 0 || u > 1 || v < 0.1 || v > 0.9) return NAVY;
    if (v > 0.68) return AMBER;
    if (u > 0.12 && u < 0.88 && v > 0.2 && v < 0.58) {
      let pos = ((u - 0.12) / 0.76) * total;
      for (let i = 0; i < BARS.length; i++) {
        if (pos < BARS[i]) return i % 2 === 0 ? INK : WHITE;
        pos -= BARS[i];
      }
    }
    return WHITE;
  };
}

function writeIcons() {
  const out = [];
  const write = (name, size, scale) => {
    fs.writeFileSync(path.join(dist, 'icons', name), encodePNG(size, icon(scale)));
    out.push(`/icons/${name}`);
  };
  write('icon-32.png', 32, 0.86);
  write('apple-touch-icon.png', 180, 0.72);
  write('icon-192.png', 192, 0.8);
  write('icon-512.png', 512, 0.8);
  write('maskable-512.png', 512, 0.6);
  return out;
}

function writeManifest() {
  const manifest = {
    name: 'returnbench',
    short_name: 'returnbench',
    description: 'Scan, film, grade and relabel returns at the bench.',
    id: '/scan',
    start_url: '/scan',
    scope: '/',
    display: 'standalone',
    orientation: 'portrait',
    background_color: '#ffffff',
    theme_color: '#0b2e6b',
    icons: [
      { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
      { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
      { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  };
  fs.writeFileSync(path.join(dist, 'manifest.webmanifest'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function writeIndex({ js, css }) {
  const html = fs.readFileSync(path.join(src, 'index.html'), 'utf8').replace('%JS%', js).replace('%CSS%', css);
  fs.writeFileSync(path.join(dist, 'index.html'), html);
}

async function writeServiceWorker(precache) {
  const version = sha(precache.join('\n') + fs.readFileSync(path.join(dist, 'index.html')));
  await esbuild.build({
    entryPoints: [path.join(src, 'sw.js')],
    outfile: path.join(dist, 'sw.js'),
    bundle: false,
    minify: true,
    target: ['es2020'],
    define: {
      __PRECACHE__: JSON.stringify(precache),
      __BUILD_VERSION__: JSON.stringify(version),
      __APP_ROUTES__: JSON.stringify(APP_ROUTES),
    },
    logLevel: 'warning',
  });
  return version;
}

function report() {
  const rows = [];
  const add = (file) => {
    const bytes = fs.readFileSync(file);
    rows.push({ file: path.relative(dist, file), raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length });
  };
  for (const name of fs.readdirSync(assets).sort()) {
    if (/\.(js|css)$/.test(name)) add(path.join(assets, name));
  }
  add(path.join(dist, 'sw.js'));
  const total = rows.reduce((n, r) => n + r.gz, 0);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  for (const r of rows) console.log(`  ${r.file.padEnd(36)} ${kb(r.raw).padStart(10)} ${kb(r.gz).padStart(10)} gz`);
  console.log(`  JS + CSS gzipped: ${kb(total)} of ${kb(BUDGET)} budget (zxing wasm not counted)`);
  return total;
}

async function main() {
  clean();
  const version = appVersion();
  const wasm = copyWasm();
  const worker = await bundleWorker(wasm);
  const entry = await bundle(wasm, worker, version);
  writeIndex(entry);
  writeManifest();
  const icons = writeIcons();
  const files = fs.readdirSync(assets).sort().map((n) => `/assets/${n}`);
  const precache = ['/index.html', '/manifest.webmanifest', ...icons, ...files];
  const swVersion = await writeServiceWorker(precache);
  console.log(`returnbench web ${version} (service worker ${swVersion}) -> dist/`);
  const total = report();
  if (total > BUDGET) {
    console.error(`FAIL: the app's JS + CSS is ${total} bytes gzipped, over the ${BUDGET}-byte budget.`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
