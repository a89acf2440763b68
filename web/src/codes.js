// Scanned codes: normalising them the way the server does (labels.Normalize)
// and finding the pulled returns they name, so a scan works with no network.
// Pure functions only: the node tests import this file directly.

const FORMAT_CHARS = /\p{Cf}/u; // zero-width space, byte order mark, ...

// Go's unicode.IsSpace, which the server uses; JavaScript's \s lacks U+0085.
function isSpace(ch) {
  return /\s/u.test(ch) || ch === '\u0085';
}

function isURL(s) {
  return /^https?:\/\//i.test(s);
}

// upperASCII upper-cases a-z only, like the server: identifiers are ASCII and
// a locale-aware toUpperCase would turn "ß" into "SS".
function upperASCII(s) {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/**
 * normalizeCode turns what a scanner or a person typed into the form the
 * server stores and looks up: whitespace, control characters (the GS1 FNC1
 * separator 0x1D among them) and invisible format characters are removed, and
 * ASCII letters are upper-cased, except in an Amazon RMA id (ends "RRMA", in
 * any case) and an http(s) URL, whose case matters.
 */
export function normalizeCode(raw) {
  let out = '';
  for (const ch of String(raw ?? '')) {
    const c = ch.codePointAt(0);
    if (isSpace(ch) || c < 0x20 || c === 0x7f || FORMAT_CHARS.test(ch)) continue;
    out += ch;
  }
  if (isURL(out) || /RRMA$/i.test(out)) return out;
  return upperASCII(out);
}

const CROCKFORD = /^U[0-9A-HJKMNP-TV-Z]{10}$/;

/** isUnitID reports whether s is one of our own unit label ids ("U" + 10 Crockford base32). */
export function isUnitID(s) {
  return CROCKFORD.test(s);
}

/**
 * unitFromCode reads our own unit labels: a bare unit id, a /u/<id> URL or a
 * GS1 Digital Link /01/<gtin-14>/21/<id>. It returns the unit id or "".
 */
export function unitFromCode(code) {
  const s = normalizeCode(code);
  if (isUnitID(s)) return s;
  if (!isURL(s)) return '';
  let path;
  try {
    path = new URL(s).pathname;
  } catch {
    return '';
  }
  const seg = path.replace(/\/$/, '').split('/');
  const n = seg.length;
  if (n < 2) return '';
  const id = upperASCII(seg[n - 1]);
  if (!isUnitID(id)) return '';
  if (seg[n - 2].toLowerCase() === 'u') return id;
  if (n >= 4 && seg[n - 4] === '01' && seg[n - 2] === '21' && /^\d{14}$/.test(seg[n - 3])) return id;
  return '';
}

/**
 * badgeUser reads a sign-in badge ("returnbench:badge:<user id>") and returns
 * the user id, or "" when the code is not a badge. A badge only names a
 * user; the PIN is what signs in.
 */
export function badgeUser(raw) {
  const s = String(raw ?? '').trim();
  const m = /^returnbench:badge:([A-Za-z0-9_-]{1,64})$/.exec(s);
  return m ? m[1] : '';
}

/**
 * candidateValues lists the values a scan may be stored under: the code as
 * normalised, plus the forms the server stores for some kinds (a USPS number
 * without the GS1-128 "420"+ZIP routing prefix the label barcode carries).
 */
export function candidateValues(code) {
  const s = normalizeCode(code);
  if (!s) return [];
  const out = [s];
  // 420 + ZIP5 or ZIP5+4, then a 20-34 digit USPS number.
  const m5 = /^420\d{5}(\d{20,34})$/.exec(s);
  if (m5) out.push(m5[1]);
  const m9 = /^420\d{9}(\d{20,34})$/.exec(s);
  if (m9) out.push(m9[1]);
  return [...new Set(out)];
}

/** The identifier fields of a return that a scan can find it by. */
export const RETURN_CODE_FIELDS = ['tracking_id', 'rma_id', 'lpn', 'order_id', 'fnsku'];

/** returnCodes lists a return's scannable identifiers (for an IndexedDB multiEntry index). */
export function returnCodes(ret) {
  const out = [];
  for (const f of RETURN_CODE_FIELDS) {
    const v = ret && ret[f];
    if (v) out.push(v);
  }
  return out;
}

/**
 * matchReturns finds the returns a scanned code names among those the device
 * has pulled, each with the field that matched, in the order given.
 */
export function matchReturns(code, returns) {
  const values = new Set(candidateValues(code));
  const out = [];
  if (values.size === 0) return out;
  for (const ret of returns) {
    const field = RETURN_CODE_FIELDS.find((f) => ret[f] && values.has(ret[f]));
    if (field) out.push({ ret, field });
  }
  return out;
}
