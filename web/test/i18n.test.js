import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../src/locales/en.js';
import zh from '../src/locales/zh-CN.js';
import { pickLanguage, translate, format } from '../src/i18n.js';

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every English key exists in Simplified Chinese and vice versa', () => {
  const missingZh = Object.keys(en).filter((k) => !(k in zh));
  const missingEn = Object.keys(zh).filter((k) => !(k in en));
  assert.deepEqual(missingZh, [], 'keys missing in zh-CN');
  assert.deepEqual(missingEn, [], 'keys missing in en');
});

test('translations use the same placeholders', () => {
  const differ = Object.keys(en).filter((k) => k in zh && placeholders(en[k]).join() !== placeholders(zh[k]).join());
  assert.deepEqual(differ, []);
});

test('no translation is empty or left in English by mistake', () => {
  for (const [k, v] of Object.entries(zh)) assert.ok(v.trim(), `${k} is empty`);
  const sameAsEnglish = Object.keys(en).filter((k) => zh[k] === en[k] && /[a-z]{4,}/.test(en[k].replace(/\{\w+\}/g, '')));
  assert.deepEqual(sameAsEnglish, []);
});

test('plural forms come in pairs', () => {
  for (const dict of [en, zh]) {
    for (const k of Object.keys(dict)) {
      if (k.endsWith('_one')) assert.ok(`${k.slice(0, -4)}_other` in dict, `${k} lacks _other`);
    }
  }
});

test('every key the code uses exists', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = new URL('../src/', import.meta.url).pathname;
  const used = new Set();
  const walk = (d) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (/\.(js|jsx)$/.test(name) && !p.includes('locales')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/\b(?:t|notify)\('([a-z_]+\.[a-z_.]+)'/g)) used.add(m[1]);
      }
    }
  };
  walk(dir);
  const missing = [...used].filter((k) => !(k in en) && !(`${k}_other` in en));
  assert.deepEqual(missing, []);
});

test('pickLanguage follows the browser', () => {
  assert.equal(pickLanguage(['zh-CN', 'en']), 'zh-CN');
  assert.equal(pickLanguage(['zh-Hans-CN']), 'zh-CN');
  assert.equal(pickLanguage(['de-DE', 'en-GB']), 'en');
  assert.equal(pickLanguage(['fr']), 'en');
  assert.equal(pickLanguage([]), 'en');
});

test('translate fills placeholders and picks plural forms', () => {
  assert.equal(translate(en, 'queue.n_inspections', { n: 1 }), '1 inspection');
  assert.equal(translate(en, 'queue.n_inspections', { n: 3 }), '3 inspections');
  assert.equal(translate(zh, 'queue.n_inspections', { n: 3 }, 'zh-CN'), '3 个质检');
  assert.equal(translate(en, 'countdown.in_business_days', { name: 'Refund due', n: 1 }), 'Refund due in 1 business day');
  assert.equal(translate(zh, 'no.such.key', {}, 'zh-CN'), 'no.such.key');
  assert.equal(format('{a} and {b}', { a: 1 }), '1 and {b}');
});
