import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WedgeBuffer } from '../src/wedge.js';
import { matchRoute } from '../src/router.js';

function type(w, text, start, gap) {
  let t = start;
  let out = null;
  for (const ch of text) {
    out = w.key(ch, t) ?? out;
    t += gap;
  }
  return { out, t };
}

test('a fast burst ending in Enter is a scan', () => {
  const w = new WedgeBuffer();
  const { t } = type(w, '1Z999AA10123456784', 1000, 8);
  assert.equal(w.key('Enter', t), '1Z999AA10123456784');
});

test('a person typing slowly is not a scan', () => {
  const w = new WedgeBuffer();
  const { t } = type(w, 'hello', 1000, 600);
  assert.equal(w.key('Enter', t), null);
});

test('short bursts and modifier keys are ignored', () => {
  const w = new WedgeBuffer();
  w.key('Shift', 1000);
  const { t } = type(w, 'AB', 1001, 5);
  assert.equal(w.key('Enter', t), null);
});

test('a scanner without an Enter suffix is flushed when it goes quiet', () => {
  const w = new WedgeBuffer();
  const { t } = type(w, 'LPNNC5N165ZVR', 0, 5);
  assert.equal(w.flush(t + 50), null, 'too soon');
  assert.equal(w.flush(t + 400), 'LPNNC5N165ZVR');
});

test('matchRoute knows the app paths', () => {
  const id = '11111111-1111-4111-8111-111111111111';
  assert.deepEqual(matchRoute('/'), { name: 'scan', params: {} });
  assert.deepEqual(matchRoute('/scan'), { name: 'scan', params: {} });
  assert.deepEqual(matchRoute(`/inspections/${id}`), { name: 'inspection', params: { id } });
  assert.deepEqual(matchRoute(`/inspections/${id}/label`), { name: 'label', params: { id } });
  assert.deepEqual(matchRoute('/u/U0123456789'), { name: 'unit', params: { unit: 'U0123456789' } });
  assert.deepEqual(matchRoute('/01/00012345678905/21/U0123456789'), { name: 'unit', params: { gtin: '00012345678905', unit: 'U0123456789' } });
  assert.equal(matchRoute('/setup').name, 'notfound');
});
