// The bench's home: scan a parcel (camera, a hardware scanner anywhere on
// this screen, or typing), see the expected return and start inspecting.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { auth } from '../auth.js';
import { navigate } from '../router.js';
import { badgeUser, normalizeCode, unitFromCode } from '../codes.js';
import { scanLoop } from '../scanner.js';
import { scanOK, scanUnknown } from '../feedback.js';
import { WedgeBuffer } from '../wedge.js';
import { lookupLocal, lookupOnline, mergeLookups } from '../lookup.js';
import { createInspection, receiveReturn, policies as loadPolicies } from '../records.js';
import { isOffline } from '../api.js';
import { useLoad, useNow } from '../hooks.js';
import { dateTime } from '../format.js';
import { CameraView } from '../components/camera-view.jsx';
import { ReturnCard } from '../components/return-card.jsx';
import { Button, Notice } from '../components/ui.jsx';

function cameraWanted() {
  try {
    return localStorage.getItem('rb.camera') !== 'off';
  } catch {
    return true;
  }
}

function InspectionLinks({ list }) {
  if (!list.length) return null;
  return (
    <ul class="links" aria-label={t('scan.inspections_of_parcel')}>
      {list.map((i) => (
        <li key={i.id}>
          <a class="btn btn-secondary btn-wide" href={`/inspections/${i.id}`}>
            {i.status === 'completed' ? t('scan.view_completed') : t('scan.continue_draft')}
            <span class="sub">{[i.inspector_name, dateTime(i.updated_at || i.created_at)].filter(Boolean).join(' · ')}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}

async function start(ret, code) {
  const user = auth.user;
  if (ret) await receiveReturn(ret, user); // the parcel is here: its refund clock starts
  const insp = await createInspection({ ret, scannedCode: code, user });
  navigate(`/inspections/${insp.id}`);
}

function Result({ result, now }) {
  const [pols] = useLoad(loadPolicies, [], ['policies']);
  const [chosen, setChosen] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!result) return null;
  const go = async (ret) => {
    setBusy(true);
    try {
      await start(ret, result.code);
    } finally {
      setBusy(false);
    }
  };
  const rets = result.returns;
  const ret = chosen || (rets.length === 1 ? rets[0] : null);
  const ownInspections = (r) => result.inspections.filter((i) => i.return_id === r.id);
  if (ret) {
    const list = ownInspections(ret);
    return (
      <section class="result" aria-label={t('scan.result')}>
        <p class="result-code">{t('scan.scanned', { code: result.code })}</p>
        <ReturnCard ret={ret} policies={pols} now={now}>
          <InspectionLinks list={list} />
          <Button kind="primary" class="btn-big" disabled={busy} onClick={() => go(ret)} data-testid="start-inspection">
            {list.length ? t('scan.start_another') : t('scan.start')}
          </Button>
        </ReturnCard>
        {rets.length > 1 ? <Button onClick={() => setChosen(null)}>{t('scan.back_to_matches')}</Button> : null}
      </section>
    );
  }
  if (rets.length > 1) {
    return (
      <section class="result" aria-label={t('scan.result')}>
        <p class="result-code">{t('scan.scanned', { code: result.code })}</p>
        <h2>{t('scan.several', { n: rets.length })}</h2>
        <ul class="links">
          {rets.map((r) => (
            <li key={r.id}>
              <Button class="btn-wide" onClick={() => setChosen(r)}>
                {r.product_name || r.order_id}
                <span class="sub">{[r.order_id, r.rma_id, r.tracking_id].filter(Boolean).join(' · ')}</span>
              </Button>
            </li>
          ))}
        </ul>
      </section>
    );
  }
  return (
    <section class="result" aria-label={t('scan.result')}>
      <Notice kind="warn" title={t('scan.unexpected_title')} testid="unexpected">
        <p>{t('scan.unexpected', { code: result.code })}</p>
        {result.source === 'device' ? <p>{t('scan.offline_lookup')}</p> : null}
      </Notice>
      <InspectionLinks list={result.inspections} />
      <Button kind="primary" class="btn-big" disabled={busy} onClick={() => go(null)} data-testid="start-unexpected">
        {t('scan.start_unexpected')}
      </Button>
    </section>
  );
}

export function ScanScreen() {
  const [camera, setCamera] = useState(cameraWanted());
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const inputRef = useRef(null);
  const stopScan = useRef(null);
  const now = useNow(60000);
  const lookupRef = useRef(null);
  const resultRef = useRef(null);

  const lookup = async (raw) => {
    const code = normalizeCode(raw);
    if (!code) return;
    if (badgeUser(raw)) {
      scanOK();
      navigate(`/login?switch=1&badge=${encodeURIComponent(raw.trim())}`);
      return;
    }
    const unit = unitFromCode(code);
    if (unit) {
      scanOK();
      navigate(`/u/${unit}`);
      return;
    }
    setBusy(true);
    setNote('');
    if (inputRef.current) inputRef.current.value = code;
    const local = await lookupLocal(code);
    setResult(local);
    // One hand, one glance: bring the answer up under the thumb.
    requestAnimationFrame(() => resultRef.current?.scrollIntoView({ block: 'start', behavior: 'smooth' }));
    let merged = local;
    if (navigator.onLine) {
      try {
        const online = await lookupOnline(code);
        if (online.units.length) {
          scanOK();
          navigate(`/u/${online.units[0].id}`);
          return;
        }
        merged = mergeLookups(local, online);
        setResult(merged);
      } catch (err) {
        if (!isOffline(err)) setNote(err.message || t('common.failed'));
      }
    }
    setBusy(false);
    if (merged.returns.length || merged.inspections.length) scanOK();
    else scanUnknown();
  };
  lookupRef.current = lookup;

  // A hardware scanner types the code and Enter: take it wherever the focus is.
  useEffect(() => {
    const wedge = new WedgeBuffer();
    let idle = 0;
    const onKey = (ev) => {
      const inField = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
      if (inField || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const code = wedge.key(ev.key, ev.timeStamp);
      clearTimeout(idle);
      if (code) {
        ev.preventDefault();
        lookupRef.current(code);
      } else {
        idle = setTimeout(() => {
          const c = wedge.flush(performance.now());
          if (c) lookupRef.current(c);
        }, 300);
      }
    };
    addEventListener('keydown', onKey);
    return () => {
      removeEventListener('keydown', onKey);
      clearTimeout(idle);
      stopScan.current?.();
    };
  }, []);

  const toggleCamera = () => {
    const on = !camera;
    try {
      localStorage.setItem('rb.camera', on ? 'on' : 'off');
    } catch {
      // remembered for this page only
    }
    setCamera(on);
  };

  return (
    <main class="screen screen-scan">
      <h1 class="visually-hidden">{t('scan.title')}</h1>
      {camera ? (
        <CameraView label={t('scan.camera')} compact={!!result} wide onVideo={(v) => {
          stopScan.current?.();
          stopScan.current = v ? scanLoop(v, (text) => lookupRef.current(text)) : null;
        }}>
          <div class="aim" aria-hidden="true" />
        </CameraView>
      ) : null}
      <div class="scan-tools">
        <span class="hint">{t('scan.wedge_hint')}</span>
        <Button kind="ghost" class="btn-small" onClick={toggleCamera} aria-pressed={camera}>
          {camera ? t('scan.camera_off') : t('scan.camera_on')}
        </Button>
      </div>
      <form class="code-form" onSubmit={(ev) => {
        ev.preventDefault();
        lookup(ev.currentTarget.code.value);
      }}>
        <label class="field field-inline">
          <span>{t('scan.type_label')}</span>
          <input ref={inputRef} name="code" autocomplete="off" autocapitalize="characters" spellCheck={false}
            enterKeyHint="search" maxLength={512} placeholder={t('scan.type_placeholder')} />
        </label>
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('scan.look_up')}</button>
      </form>
      {note ? <Notice kind="warn">{note}</Notice> : null}
      <div aria-live="polite" ref={resultRef} class="result-anchor">
        {busy && !result ? <p class="loading">{t('common.loading')}</p> : null}
        <Result result={result} now={now} key={result ? result.code : ''} />
      </div>
    </main>
  );
}
