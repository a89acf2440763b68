// Finding what a scanned code names: first among the returns and
// inspections on this device (instant, works offline), then on the server
// when it answers quickly. Returns the server finds are kept on the device,
// so a second scan of the same parcel works offline.
import { S, tx, req, withCodes, getAll } from './db.js';
import { api } from './api.js';
import { candidateValues, normalizeCode } from './codes.js';
import { returnsByCode } from './records.js';

/** lookupLocal finds returns and inspections of a code on the device. */
export async function lookupLocal(raw) {
  const code = normalizeCode(raw);
  const returns = await returnsByCode(candidateValues(code));
  const ids = new Set(returns.map((r) => r.id));
  const inspections = (await getAll(S.inspections)).filter((i) =>
    (i.return_id && ids.has(i.return_id)) || (i.scanned_code && i.scanned_code === code));
  return { code, returns, inspections, units: [], matches: [], source: 'device' };
}

/** lookupOnline asks the server (GET /api/v1/scan) and keeps the returns it finds. */
export async function lookupOnline(raw, timeout = 5000) {
  const res = await api('GET', `/api/v1/scan?code=${encodeURIComponent(raw)}`, { timeout });
  const returns = res.returns || [];
  if (returns.length) {
    await tx(S.returns, 'readwrite', async (s) => {
      for (const r of returns) {
        const cur = await req(s.returns.get(r.id));
        // Our own not-yet-sent arrival stays until the server has it.
        const keep = cur && cur.arrived_here && !r.arrived_at ? { arrived_at: cur.arrived_at, arrived_here: true } : {};
        await req(s.returns.put(withCodes({ ...r, ...keep })));
      }
    });
  }
  return { ...res, returns, inspections: res.inspections || [], units: res.units || [], source: 'server' };
}

/** merge joins the device's and the server's answers, the device's drafts first. */
export function mergeLookups(local, online) {
  if (!online) return local;
  const byId = (list) => new Map(list.map((x) => [x.id, x]));
  const returns = byId(online.returns);
  for (const r of local.returns) if (!returns.has(r.id)) returns.set(r.id, r);
  const insp = byId(online.inspections);
  for (const i of local.inspections) insp.set(i.id, i); // the device's copy may hold unsent changes
  return { ...online, returns: [...returns.values()], inspections: [...insp.values()] };
}
