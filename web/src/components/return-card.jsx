// What the bench needs to know about an expected return: the product, the
// order, the buyer's reason and comment, and the clocks running on it.
import { t, has } from '../i18n.js';
import { deadlinesFor, countdown } from '../deadlines.js';
import { policyFor } from '../policy.js';
import { reasonOf } from '../rules.js';
import { money } from '../format.js';
import { dateTime } from '../format.js';
import { Row } from './ui.jsx';

const CARRIERS = { ups: 'UPS', usps: 'USPS', fedex: 'FedEx', dhl: 'DHL', s10: 'Post', amazon_logistics: 'Amazon Logistics' };

/** reasonLabel words a return reason; unknown codes show as they came. */
export function reasonLabel(ret) {
  const r = reasonOf(ret);
  if (!r) return t('return.no_reason');
  return has(`reason.${r}`) ? t(`reason.${r}`) : r;
}

function deadlineText(d, policy, now) {
  const c = countdown(d, policy, now);
  const name = t(`deadline.${d.name}`);
  if (c.overdue) return t(`countdown.overdue_${c.unit}`, { name, n: c.n });
  return t(`countdown.in_${c.unit}`, { name, n: c.n });
}

/** Deadlines lists a return's clocks, the most urgent first, coloured by status. */
export function Deadlines({ ret, policies, now = Date.now() }) {
  const policy = policyFor(policies, ret.marketplace);
  let list = deadlinesFor(ret, policy, now);
  let preview = false;
  if (ret.channel === 'mfn' && !ret.arrived_at && !ret.refunded_at) {
    // Not received yet: show the clock this scan is about to start.
    list = deadlinesFor({ ...ret, arrived_at: new Date(now).toISOString() }, policy, now).filter((d) => d.name === 'refund_due');
    preview = true;
  }
  if (!list.length) return null;
  return (
    <ul class="deadlines" aria-label={t('return.deadlines')} data-testid="deadlines">
      {list.map((d) => (
        <li class={`deadline deadline-${d.status}`} key={d.name}>
          <strong>{deadlineText(d, policy, now)}</strong>
          <span class="deadline-due">{preview ? t('return.once_received') : dateTime(d.due)}</span>
        </li>
      ))}
    </ul>
  );
}

export function ReturnCard({ ret, policies, now, children }) {
  const reason = reasonOf(ret);
  return (
    <article class="card return-card" data-testid="return-card" aria-label={t('return.card_label')}>
      <h2 class="product">{ret.product_name || ret.sku || ret.asin || t('return.unnamed')}</h2>
      <Deadlines ret={ret} policies={policies} now={now} />
      <div class="reason-box">
        <div class="reason-line">
          <span class="k">{t('return.reason')}</span>
          <strong data-testid="return-reason">{reasonLabel(ret)}</strong>
          {ret.reason_raw && ret.reason_raw !== reason ? <span class="raw">{ret.reason_raw}</span> : null}
        </div>
        {ret.buyer_comment ? (
          <blockquote class="buyer-comment" data-testid="buyer-comment">
            <span class="k">{t('return.buyer_comment')}</span>
            <span lang="">{ret.buyer_comment}</span>
          </blockquote>
        ) : null}
      </div>
      {children}
      <dl class="facts">
        <Row label={t('return.order')}>{ret.order_id}</Row>
        <Row label={t('return.rma')}>{ret.rma_id}</Row>
        <Row label={t('return.tracking')}>{ret.tracking_id ? `${ret.tracking_id}${ret.carrier ? ` (${CARRIERS[ret.carrier] || ret.carrier})` : ''}` : ''}</Row>
        <Row label={t('return.lpn')}>{ret.lpn}</Row>
        <Row label={t('return.sku')}>{[ret.sku, ret.asin, ret.fnsku].filter(Boolean).join(' · ')}</Row>
        <Row label={t('return.channel')}>{ret.channel ? t(`channel.${ret.channel}`) : ''}{ret.marketplace ? ` · ${ret.marketplace}` : ''}</Row>
        <Row label={t('return.quantity')}>{ret.quantity > 1 ? String(ret.quantity) : ''}</Row>
        <Row label={t('return.amounts')}>{ret.order_amount ? `${money(ret.order_amount, ret.currency)}${ret.refund_amount ? ` · ${t('return.refunded')} ${money(ret.refund_amount, ret.currency)}` : ''}` : ''}</Row>
        <Row label={t('return.atoz')}>{ret.atoz_claim ? t('common.yes') : ''}</Row>
        <Row label={t('return.arrived')}>{ret.arrived_at ? dateTime(ret.arrived_at) : ''}</Row>
      </dl>
    </article>
  );
}
