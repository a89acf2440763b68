// A relabelled unit's history, opened by scanning its QR label
// (/u/<unit> or the GS1 Digital Link /01/<gtin>/21/<unit>).
import { t } from '../i18n.js';
import { useLoad, useTopic } from '../hooks.js';
import { api, isOffline } from '../api.js';
import { S, get } from '../db.js';
import { getInspection, getReturn } from '../records.js';
import { dateTime } from '../format.js';
import { reasonLabel } from '../components/return-card.jsx';
import { LinkButton, Notice, Row } from '../components/ui.jsx';

async function load(unitId) {
  const id = unitId.toUpperCase();
  try {
    return { ...(await api('GET', `/api/v1/units/${encodeURIComponent(id)}`)), source: 'server' };
  } catch (err) {
    if (!isOffline(err) && err.status !== 404) throw err;
    const unit = await get(S.units, id);
    if (!unit) return { unit: null, offline: isOffline(err) };
    const inspection = await getInspection(unit.inspection_id);
    const ret = unit.return_id ? await getReturn(unit.return_id) : null;
    return { unit, inspection, return: ret, source: 'device' };
  }
}

export function UnitScreen({ unit }) {
  useTopic('lang');
  const [data, error] = useLoad(() => load(unit), [unit]);
  if (error) return <main class="screen"><Notice kind="error">{error.message}</Notice></main>;
  if (!data) return <main class="screen"><p class="loading">{t('common.loading')}</p></main>;
  if (!data.unit) {
    return <main class="screen"><Notice kind="warn" title={t('unit.not_found', { unit })}>{data.offline ? t('unit.offline') : null}</Notice></main>;
  }
  const { unit: u, inspection: insp, return: ret, evidence } = data;
  return (
    <main class="screen">
      <h1>{t('unit.title', { unit: u.id })}</h1>
      <dl class="facts card" data-testid="unit-history">
        <Row label={t('unit.created')}>{dateTime(u.created_at)}</Row>
        <Row label={t('return.sku')}>{[u.sku, u.gtin].filter(Boolean).join(' · ')}</Row>
        <Row label={t('unit.condition')}>{u.condition}</Row>
        <Row label={t('return.product')}>{ret?.product_name}</Row>
        <Row label={t('return.order')}>{ret?.order_id}</Row>
        <Row label={t('return.reason')}>{ret ? reasonLabel(ret) : ''}</Row>
        <Row label={t('grade.legend')}>{insp?.grade ? t(`grade.${insp.grade}`) : ''}</Row>
        <Row label={t('verdict.legend')}>{insp?.verdict ? t(`verdict.${insp.verdict}`) : ''}</Row>
        <Row label={t('summary.completed_at')}>{dateTime(insp?.completed_at)}</Row>
        <Row label={t('review.evidence')}>{evidence ? t('unit.evidence', { files: evidence.files, verified: evidence.verified }) : ''}</Row>
      </dl>
      {data.source === 'device' ? <p class="hint">{t('unit.from_device')}</p> : null}
      {insp ? (
        <div class="button-col">
          <LinkButton kind="primary" href={`/inspections/${insp.id}`}>{t('unit.open_inspection')}</LinkButton>
          <LinkButton href={`/inspections/${insp.id}/label`}>{t('unit.label')}</LinkButton>
        </div>
      ) : null}
    </main>
  );
}
