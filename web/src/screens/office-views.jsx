// The back office's views: report import (with upload progress), the watch
// lists and the dashboard. See office.jsx.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t, currentLanguage } from '../i18n.js';
import { useLoad, useTopic } from '../hooks.js';
import { status as syncStatus } from '../sync.js';
import { ago, bytes, dateTime } from '../format.js';
import { isOffline } from '../api.js';
import { uploadReport, loadKept, WATCH_LISTS } from '../office-data.js';
import { Button, Notice } from '../components/ui.jsx';
import { StackedBars, Lines } from '../components/charts.jsx';
import { navigate } from '../router.js';

/** useOnline: the browser has a network and the last sync did not find it gone. */
function useOnline() {
  useTopic('sync');
  const [, set] = useState(0);
  useEffect(() => {
    const f = () => set((n) => n + 1);
    addEventListener('online', f);
    addEventListener('offline', f);
    return () => {
      removeEventListener('online', f);
      removeEventListener('offline', f);
    };
  }, []);
  return navigator.onLine && syncStatus.state !== 'offline';
}

const day = (v) => (v ? new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium' }).format(new Date(Date.parse(v))) : '');
const num = (v) => new Intl.NumberFormat(currentLanguage()).format(Number(v) || 0);
const amount = (v) => new Intl.NumberFormat(currentLanguage(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(v) || 0);
const money = (v, cur) => (v == null ? '' : `${amount(v)}${cur ? ` ${cur}` : ''}`);

/** Kept says when what is shown was loaded, and that it is an old copy when it is. */
function Kept({ state, online }) {
  if (!state) return null;
  const old = state.error || !online;
  return (
    <p class={old ? 'notice notice-warn' : 'hint'} data-testid="office-kept" role={old ? 'status' : undefined}>
      {state.at ? t(old ? 'office.kept_offline' : 'office.loaded_at', { when: dateTime(state.at), ago: ago(state.at) }) : t('office.never_loaded')}
      {state.error && !isOffline(state.error) ? ` ${state.error.message}` : ''}
    </p>
  );
}

// ---- import ----

export function ImportView() {
  useTopic('lang');
  const online = useOnline();
  const input = useRef(null);
  const [file, setFile] = useState(null);
  const [st, setSt] = useState({ phase: 'idle', sent: 0, total: 0, result: null, error: null });
  const busy = st.phase === 'uploading' || st.phase === 'processing';

  async function start(ev) {
    ev.preventDefault();
    if (!file || busy) return;
    setSt({ phase: 'uploading', sent: 0, total: file.size, result: null, error: null });
    try {
      const result = await uploadReport(file, (sent, total) => setSt((s) => ({
        ...s, sent, total, phase: sent >= total ? 'processing' : 'uploading',
      })));
      setSt((s) => ({ ...s, sent: s.total, phase: 'done', result }));
    } catch (error) {
      setSt((s) => ({ ...s, phase: 'error', error }));
    }
  }

  const pct = st.total ? Math.min(100, Math.floor((st.sent / st.total) * 100)) : 0;
  const r = st.result;
  return (
    <section aria-labelledby="import-title">
      <h2 id="import-title">{t('import.title')}</h2>
      <p class="hint">{t('import.hint')}</p>
      <form class="stack" onSubmit={start}>
        <label class="field">
          <span>{t('import.file')}</span>
          <input ref={input} type="file" accept=".tsv,.csv,.txt,text/csv,text/tab-separated-values" data-testid="import-file"
            disabled={busy} onChange={(e) => {
              setFile(e.currentTarget.files[0] || null);
              setSt({ phase: 'idle', sent: 0, total: 0, result: null, error: null });
            }} />
        </label>
        {file ? <p class="hint">{t('import.chosen', { name: file.name, size: bytes(file.size) })}</p> : null}
        {!online ? <Notice kind="warn" testid="needs-network">{t('office.needs_network')}</Notice> : null}
        <Button kind="primary" type="submit" disabled={!file || busy || !online} data-testid="import-start">{t('import.start')}</Button>
      </form>
      {st.phase !== 'idle' ? (
        <div class="progress" data-testid="import-progress" data-percent={pct}>
          <div class="progress-head">
            <span>{t(`import.phase_${st.phase}`)}</span>
            <span data-testid="import-progress-text">{t('import.progress', { sent: bytes(st.sent), total: bytes(st.total), pct })}</span>
          </div>
          <progress value={st.sent} max={st.total || 1} aria-label={t('import.progress_label')} aria-valuetext={`${pct}%`}>{pct}%</progress>
        </div>
      ) : null}
      {st.phase === 'error' ? (
        <Notice kind="error" title={t('import.failed')} testid="import-error">
          {isOffline(st.error) ? t('office.needs_network') : st.error.message || t('common.failed')}
        </Notice>
      ) : null}
      {r ? (
        <div class="stack" data-testid="import-result">
          <Notice kind={r.rejected_count ? 'warn' : 'ok'} title={t('import.done', { format: t(`import.format_${r.format}`) })}>
            <dl class="counts">
              {['rows', 'inserted', 'updated', 'unchanged', 'rejected_count'].map((k) => (
                <div key={k} data-testid={`import-${k}`}><dt>{t(`import.${k}`)}</dt><dd>{num(r[k])}</dd></div>
              ))}
            </dl>
          </Notice>
          {r.rejected?.length ? (
            <div class="table-wrap">
              <table class="data" data-testid="import-rejected">
                <caption>{t('import.rejected_title', { n: r.rejected_count })}</caption>
                <thead><tr><th scope="col">{t('import.line')}</th><th scope="col">{t('import.reason')}</th></tr></thead>
                <tbody>{r.rejected.map((e) => <tr key={e.line}><td>{e.line}</td><td>{e.reason}</td></tr>)}</tbody>
              </table>
              {r.rejected_count > r.rejected.length ? <p class="hint">{t('import.rejected_more', { n: r.rejected.length })}</p> : null}
            </div>
          ) : null}
          <p class="hint">SHA-256 <code class="break">{r.sha256}</code></p>
        </div>
      ) : null}
    </section>
  );
}

// ---- watch lists ----

const SEVERITY = { overdue: 'bad', closed: 'muted', due_soon: 'warn', open: 'ok', upcoming: 'info', not_yet: 'info' };

function Status({ value }) {
  if (!value) return null;
  return <span class={`status status-${SEVERITY[value] || 'info'}`} data-testid="status-badge">{t(`watch.status_${value}`)}</span>;
}

// Columns per list: [heading key, cell(row)].
const COLUMNS = {
  'refunded-not-returned': [
    ['watch.order', (r) => r.order_id],
    ['watch.item', (r) => [r.product_name || r.sku, r.lpn].filter(Boolean).join(' · ')],
    ['watch.refund', (r) => money(r.refund_amount, r.currency)],
    ['watch.days_since_refund', (r) => num(r.days_since_refund)],
    ['watch.claim_window', (r) => `${day(r.claim_window_opens)} – ${day(r.claim_window_closes)}`],
    ['watch.claim', (r) => <><Status value={r.claim_state} /> <Status value={r.claim_status !== r.claim_state ? r.claim_status : ''} /></>],
  ],
  'refund-due': [
    ['watch.order', (r) => r.order_id || r.rma_id],
    ['watch.item', (r) => r.product_name || r.sku],
    ['watch.arrived', (r) => day(r.arrived_at)],
    ['watch.refund_due', (r) => dateTime(r.refund_due)],
    ['watch.days_left', (r) => num(r.business_days_left)],
    ['watch.status', (r) => <Status value={r.status} />],
  ],
  atoz: [
    ['watch.order', (r) => r.order_id],
    ['watch.item', (r) => r.product_name || r.sku],
    ['watch.refund', (r) => money(r.refund_amount, r.currency)],
    ['watch.response_due', (r) => <>{day(r.response_due)} <Status value={r.response_status} /></>],
    ['watch.appeal_closes', (r) => <>{day(r.appeal_closes)} <Status value={r.appeal_status} /></>],
  ],
  safet: [
    ['watch.order', (r) => r.order_id],
    ['watch.item', (r) => r.product_name || r.skus.join(', ')],
    ['watch.window_closes', (r) => <>{day(r.window_closes)} <Status value={r.window_status} /></>],
    ['watch.photos_due', (r) => (r.photos_due ? <>{day(r.photos_due)} <Status value={r.photos_status} /></> : '')],
    ['watch.claim_cap', (r) => `${money(r.claim_cap, r.currency)} (${r.cap_percent}%)`],
  ],
  disputes: [
    ['watch.order', (r) => r.order_id || r.scanned_code],
    ['watch.item', (r) => r.product_name || r.sku],
    ['watch.verdict', (r) => (r.verdict ? t(`verdict.${r.verdict}`) : '')],
    ['watch.completed', (r) => day(r.completed_at)],
    ['watch.pack', (r) => (r.ready ? <span class="status status-ok">{t('watch.ready')}</span>
      : <span class="status status-warn" title={r.missing.map((m) => m.message).join('\n')}>{t('watch.missing', { n: r.missing_count })}</span>)],
  ],
};

export function WatchView({ list: asked }) {
  useTopic('lang');
  const online = useOnline();
  const list = WATCH_LISTS.includes(asked) ? asked : WATCH_LISTS[0];
  const [state, , reload] = useLoad(() => loadKept(`watch:${list}`, `/api/v1/watch/${list}`), [list]);
  const data = state?.data;
  const cols = COLUMNS[list];
  return (
    <section aria-labelledby="watch-title">
      <h2 id="watch-title">{t('watch.title')}</h2>
      <div class="tabs tabs-wrap tabs-small" role="tablist" aria-label={t('watch.lists')}>
        {WATCH_LISTS.map((l) => (
          <button type="button" role="tab" key={l} aria-selected={l === list} class={`tab ${l === list ? 'is-on' : ''}`}
            data-testid={`watch-tab-${l}`} onClick={() => navigate(`/office?view=watch&list=${l}`, { replace: true })}>
            {t(`watch.list_${l}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={t(`watch.list_${list}`)} data-testid="watch-list" data-list={list}>
        <p class="hint">{t(`watch.about_${list}`)}</p>
        <Kept state={state} online={online} />
        {state === undefined ? <p class="loading">{t('common.loading')}</p> : null}
        {state && !data ? <Notice kind="warn">{online ? t('common.failed') : t('office.needs_network')}</Notice> : null}
        {data ? (
          <>
            <div class="button-row">
              <span class="count-line" data-testid="watch-count">{t('watch.n_rows', { n: data.total })}</span>
              {online ? (
                <a class="btn btn-secondary btn-small" href={`/api/v1/watch/${list}?format=csv`} download data-testid="watch-csv">
                  {t('watch.download_csv')}
                </a>
              ) : <span class="hint">{t('watch.csv_needs_network')}</span>}
              <Button class="btn-small" kind="ghost" disabled={!online} onClick={reload}>{t('office.refresh')}</Button>
            </div>
            {data.truncated ? <Notice kind="warn" testid="watch-truncated">{t('watch.truncated', { n: data.limit, total: data.total })}</Notice> : null}
            {data.rows.length === 0 ? <p data-testid="watch-empty">{t('watch.empty')}</p> : (
              <div class="table-wrap">
                <table class="data" data-testid="watch-table">
                  <caption class="visually-hidden">{t(`watch.list_${list}`)}</caption>
                  <thead><tr>{cols.map(([k]) => <th scope="col" key={k}>{t(k)}</th>)}</tr></thead>
                  <tbody>
                    {data.rows.map((r, i) => (
                      <tr key={r.return_id || r.inspection_id || r.order_id || i} data-testid="watch-row">
                        {cols.map(([k, cell]) => <td key={k}>{cell(r)}</td>)}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        ) : null}
      </div>
    </section>
  );
}

// ---- dashboard ----

export function DashboardView() {
  useTopic('lang');
  const online = useOnline();
  const [period, setPeriod] = useState(null); // {from, to} asked; null: the server's default
  const path = `/api/v1/dashboard${period ? `?from=${period.from}&to=${period.to}` : ''}`;
  const [state, , reload] = useLoad(() => loadKept('dashboard', path), [path]);
  const d = state?.data;
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  useEffect(() => {
    if (d && !from) {
      setFrom(d.from);
      setTo(d.to);
    }
  }, [d]);
  return (
    <section aria-labelledby="dash-title">
      <h2 id="dash-title">{t('dashboard.title')}</h2>
      <form class="period" onSubmit={(e) => {
        e.preventDefault();
        if (from && to) setPeriod({ from, to });
      }}>
        <label class="field"><span>{t('dashboard.from')}</span>
          <input type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} data-testid="dashboard-from" /></label>
        <label class="field"><span>{t('dashboard.to')}</span>
          <input type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} data-testid="dashboard-to" /></label>
        <Button type="submit" class="btn-small" disabled={!online} data-testid="dashboard-show">{t('dashboard.show')}</Button>
      </form>
      {!online ? <Notice kind="warn">{t('office.needs_network')}</Notice> : null}
      <Kept state={state} online={online} />
      {state === undefined ? <p class="loading">{t('common.loading')}</p> : null}
      {d ? <Dashboard d={d} /> : null}
      {d && online ? <Button class="btn-small" kind="ghost" onClick={reload}>{t('office.refresh')}</Button> : null}
    </section>
  );
}

function reasonLabel(reason) {
  if (reason === 'UNMATCHED') return t('dashboard.unmatched');
  if (reason === 'UNKNOWN') return t('dashboard.unknown_reason');
  return reason;
}

function Dashboard({ d }) {
  const verdicts = d.verdicts.map((v) => ({ key: v, label: t(`verdict.${v}`) }));
  const reasons = d.reasons_vs_verdicts.slice(0, 12);
  const grades = d.grades.map((g) => ({ key: g, label: t(`grade.${g}`) }));
  const weeks = d.grades_by_week.map((w) => ({ key: w.week, label: `${w.week} (${w.starts})`, short: w.starts.slice(5) }));
  const mr = d.money_recovered;
  const mar = d.money_at_risk;
  const moneyCats = [
    { key: 'fees', label: t('dashboard.restocking_fees') },
    { key: 'reimbursed', label: t('dashboard.reimbursed') },
    { key: 'at_risk', label: t('dashboard.at_risk_short') },
  ];
  const moneyVals = [[Number(mr.restocking_fees) || 0], [Number(mr.reimbursed) || 0], [Number(mar.claims_closing_refund_amount) || 0]];
  const top = reasons[0];
  return (
    <div class="stack" data-testid="dashboard">
      <p class="hint">{t('dashboard.period', { from: day(d.from), to: day(d.to), tz: d.timezone })}</p>
      <div class="figures">
        <div class="figure" data-testid="money-recovered">
          <h3>{t('dashboard.money_recovered')}</h3>
          <dl class="counts">
            <div><dt>{t('dashboard.restocking_fees')}</dt><dd>{amount(mr.restocking_fees)}</dd></div>
            <div><dt>{t('dashboard.reimbursed')}</dt><dd>{amount(mr.reimbursed)}</dd></div>
            <div><dt>{t('dashboard.resold_units')}</dt><dd>{num(mr.resold_units)}</dd></div>
          </dl>
        </div>
        <div class="figure figure-risk" data-testid="money-at-risk">
          <h3>{t('dashboard.money_at_risk')}</h3>
          <dl class="counts">
            <div><dt>{t('dashboard.claims_closing', { n: mar.claims_closing_within_days })}</dt>
              <dd>{num(mar.claims_closing_count)} · {amount(mar.claims_closing_refund_amount)}</dd></div>
            <div><dt>{t('dashboard.refunds_overdue')}</dt><dd>{num(mar.refunds_overdue_count)}</dd></div>
          </dl>
          {mar.truncated ? <p class="hint">{t('dashboard.at_least')}</p> : null}
        </div>
      </div>
      <p class="hint">{t('dashboard.currencies')}</p>
      <StackedBars testid="chart-money" title={t('dashboard.chart_money')} categoryLabel={t('dashboard.figure')}
        summary={t('dashboard.money_summary', { fees: amount(mr.restocking_fees), reimbursed: amount(mr.reimbursed),
          risk: amount(mar.claims_closing_refund_amount) })}
        categories={moneyCats} series={[{ key: 'amount', label: t('dashboard.amount') }]} values={moneyVals} />
      {reasons.length ? (
        <StackedBars testid="chart-reasons" title={t('dashboard.chart_reasons')} categoryLabel={t('dashboard.reason')}
          summary={t('dashboard.reasons_summary', { n: d.reasons_vs_verdicts.length, reason: reasonLabel(top.reason), total: top.total,
            pct: top.not_confirmed_percent == null ? '–' : top.not_confirmed_percent })}
          categories={reasons.map((r) => ({ key: r.reason, label: reasonLabel(r.reason) }))} series={verdicts}
          values={reasons.map((r) => d.verdicts.map((v) => r.verdicts[v] || 0))} />
      ) : (
        <figure class="chart" data-testid="chart-reasons"><figcaption class="chart-title">{t('dashboard.chart_reasons')}</figcaption>
          <p>{t('dashboard.no_inspections')}</p></figure>
      )}
      <Lines testid="chart-grades" title={t('dashboard.chart_grades')} categoryLabel={t('dashboard.week')}
        summary={t('dashboard.grades_summary', { n: weeks.length, total: d.grades_by_week.reduce((a, w) => a + w.total, 0) })}
        categories={weeks} series={grades} values={d.grades_by_week.map((w) => d.grades.map((g) => w.counts[g] || 0))} />
    </div>
  );
}
