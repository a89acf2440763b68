import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeCode, candidateValues, matchReturns, unitFromCode, badgeUser, returnCodes } from '../src/codes.js';

test('normalizeCode matches the server (labels.Normalize)', async (t) => {
  // The same cases as labels/classify_test.go TestNormalize.
  const cases = [
    ['TrimsAndUpperCases', '  1z5r 8939\t0357 5671 27\r\n', '1Z5R89390357567127'],
    ['DropsGroupSeparator', '\x1d0100012345678905\x1d', '0100012345678905'],
    ['DropsControlAndFormatChars', '\x00TBA\u200b1234\ufeff5678\x7f9012', 'TBA123456789012'],
    ['DropsUnicodeSpaces', 'X00\u00a01ABC\u2003DEF', 'X001ABCDEF'],
    ['DropsNextLine', 'LPN\u0085NC5N165ZVR', 'LPNNC5N165ZVR'],
    ['KeepsRMACase', ' DfqR yqfB RRMA ', 'DfqRyqfBRRMA'],
    ['KeepsRMACaseLowerSuffix', 'DfqRyqfBrrma', 'DfqRyqfBrrma'],
    ['KeepsURLCase', 'HTTPS://rb.example/u/ U0123456789', 'HTTPS://rb.example/u/U0123456789'],
    ['LeavesNonASCII', 'straße', 'STRAßE'],
    ['Empty', ' \n\t', ''],
  ];
  for (const [name, code, want] of cases) {
    await t.test(name, () => {
      assert.equal(normalizeCode(code), want);
      assert.equal(normalizeCode(want), want, 'normalising twice changes nothing');
    });
  }
});

test('candidateValues strips the USPS 420+ZIP routing prefix', () => {
  assert.deepEqual(candidateValues('420 22153 9101026837331000039521'), [
    '420221539101026837331000039521', '9101026837331000039521',
  ]);
  assert.deepEqual(candidateValues('420221531234 9101026837331000039521').slice(-1), ['9101026837331000039521']);
  assert.deepEqual(candidateValues('1z999aa10123456784'), ['1Z999AA10123456784']);
  assert.deepEqual(candidateValues('  '), []);
});

test('matchReturns finds pulled returns by any identifier', () => {
  const returns = [
    { id: 'r1', tracking_id: '1Z999AA10123456784', order_id: '111-2222222-3333333' },
    { id: 'r2', rma_id: 'DfqRyqfBRRMA', lpn: 'LPNNC5N165ZVR' },
    { id: 'r3', tracking_id: '9101026837331000039521' },
    { id: 'r4', fnsku: 'X001ABCDEF' },
  ];
  const ids = (code) => matchReturns(code, returns).map((m) => `${m.ret.id}:${m.field}`);
  assert.deepEqual(ids('1z999aa1 0123456784'), ['r1:tracking_id']);
  assert.deepEqual(ids('111-2222222-3333333'), ['r1:order_id']);
  assert.deepEqual(ids(' DfqRyqfBRRMA'), ['r2:rma_id'], 'an RMA id keeps its case');
  assert.deepEqual(ids('dfqryqfbrrma'), [], 'an RMA id in another case is another id');
  assert.deepEqual(ids('lpnnc5n165zvr'), ['r2:lpn']);
  assert.deepEqual(ids('42022153 9101026837331000039521'), ['r3:tracking_id'], 'USPS behind its routing prefix');
  assert.deepEqual(ids('x001abcdef'), ['r4:fnsku']);
  assert.deepEqual(ids('NOTHING'), []);
  assert.deepEqual(ids(''), []);
});

test('returnCodes lists the scannable identifiers of a return', () => {
  assert.deepEqual(returnCodes({ tracking_id: 'A', rma_id: '', lpn: 'C', order_id: 'D', fnsku: null }), ['A', 'C', 'D']);
});

test('unitFromCode reads our unit labels', () => {
  assert.equal(unitFromCode('U0123456789'), 'U0123456789');
  assert.equal(unitFromCode('u0123456789'), 'U0123456789');
  assert.equal(unitFromCode('https://rb.example/u/U0123456789'), 'U0123456789');
  assert.equal(unitFromCode('https://rb.example/01/00012345678905/21/U0123456789'), 'U0123456789');
  assert.equal(unitFromCode('https://rb.example/01/0001234567890/21/U0123456789'), '', 'a GTIN has 14 digits');
  assert.equal(unitFromCode('https://rb.example/x/U0123456789'), '');
  assert.equal(unitFromCode('UI23456789O'), '', 'I and O are not Crockford digits');
  assert.equal(unitFromCode('1Z999AA10123456784'), '');
});

test('badgeUser reads a sign-in badge', () => {
  assert.equal(badgeUser('returnbench:badge:3f1c2a'), '3f1c2a');
  assert.equal(badgeUser(' returnbench:badge:u_1-2 \n'), 'u_1-2');
  assert.equal(badgeUser('returnbench:badge:'), '');
  assert.equal(badgeUser('returnbench:badge:a b'), '');
  assert.equal(badgeUser('1Z999AA10123456784'), '');
});
