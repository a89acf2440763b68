// For leads and admins: the back office. Views (?view=): the inspections this
// device knows with their label cards and evidence packs, report imports,
// the watch lists and the dashboard. Lists and figures loaded from the
// server are kept on the device and shown offline with the time they were
// loaded; imports need the network.
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { useLoad, useTopic } from '../hooks.js';
import { S, getAll } from '../db.js';
import { auth, isLead } from '../auth.js';
import { dateTime } from '../format.js';
import { Choice, LinkButton, Notice } from '../components/ui.jsx';
import { navigate } from '../router.js';
import { ImportView, WatchView, DashboardView } from './office-views.jsx';

function InspectionsView() {
  useTopic('lang');
  const [filter, setFilter] = useState('disputes');
  const [data] = useLoad(async () => ({ inspections: await getAll(S.inspections), returns: await getAll(S.returns) }), [],
    ['inspections', 'returns']);
  if (!data) return <p class="loading">{t('common.loading')}</p>;
  const byId = new Map(data.returns.map((r) => [r.id, r]));
  const list = data.inspections
    .filter((i) => i.status === 'completed')
    .filter((i) => filter === 'all' || i.verdict === 'claim_disputed' || i.verdict === 'item_swapped')
    .sort((a, b) => String(b.completed_at || '').localeCompare(String(a.completed_at || '')))
    .slice(0, 200);
  return (
    <>
      <Choice legend={t('office.show')} name="office-filter" value={filter} columns={2} onChange={setFilter}
        options={[{ value: 'disputes', label: t('office.disputes') }, { value: 'all', label: t('office.all') }]} />
      {list.length === 0 ? <p>{t('office.none')}</p> : null}
      <ul class="list">
        {list.map((i) => {
          const r = i.return_id ? byId.get(i.return_id) : null;
          const base = `/api/v1/inspections/${i.id}`;
          return (
            <li class="list-item" key={i.id}>
              <a href={`/inspections/${i.id}`} class="item-title">{r?.product_name || i.scanned_code || i.id.slice(0, 8)}</a>
              <p class="sub">
                {[i.verdict ? t(`verdict.${i.verdict}`) : '', i.grade ? t(`grade.${i.grade}`) : '', dateTime(i.completed_at)].filter(Boolean).join(' · ')}
              </p>
              <div class="button-row">
                <LinkButton class="btn-small" href={`${base}/label-card.jpg`} target="_blank" rel="noopener">{t('summary.label_card')}</LinkButton>
                <LinkButton class="btn-small" href={`${base}/evidence.pdf`} target="_blank" rel="noopener">{t('summary.evidence_pdf')}</LinkButton>
                <LinkButton class="btn-small" href={`${base}/evidence.zip`} download>{t('summary.evidence_zip')}</LinkButton>
              </div>
            </li>
          );
        })}
      </ul>
    </>
  );
}

const VIEWS = ['inspections', 'import', 'watch', 'dashboard'];

export function OfficeScreen() {
  useTopic(['lang', 'route']);
  if (!isLead(auth.user)) return <main class="screen"><Notice kind="warn">{t('office.leads_only')}</Notice></main>;
  const q = new URLSearchParams(location.search);
  const view = VIEWS.includes(q.get('view')) ? q.get('view') : 'inspections';
  return (
    <main class="screen screen-wide">
      <h1>{t('office.title')}</h1>
      <div class="tabs tabs-wrap" role="tablist" aria-label={t('office.views')}>
        {VIEWS.map((v) => (
          <button type="button" role="tab" key={v} aria-selected={v === view} class={`tab ${v === view ? 'is-on' : ''}`}
            data-testid={`office-${v}`} onClick={() => navigate(`/office?view=${v}`, { replace: true })}>
            {t(`office.view_${v}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={t(`office.view_${view}`)}>
        {view === 'inspections' ? <InspectionsView /> : null}
        {view === 'import' ? <ImportView /> : null}
        {view === 'watch' ? <WatchView list={q.get('list')} /> : null}
        {view === 'dashboard' ? <DashboardView /> : null}
      </div>
    </main>
  );
}
