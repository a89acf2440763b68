// The steps of the inspection wizard. Each writes its answers to the draft
// at once (updateInspection), so a reload, a crash or a flat battery loses
// nothing, and the outbox folds the writes into one save for the server.
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { updateInspection } from '../records.js';
import {
  CHECKLIST, GRADES, PHOTO_KINDS, USED_CONDITIONS, VERDICTS, blamesSeller, dispositionsFor, hasItemPhoto,
  hasLabelPhoto, maxFee, reasonOf, suggestedFee, verdictHint,
} from '../rules.js';
import { money } from '../format.js';
import { reasonLabel } from '../components/return-card.jsx';
import { PhotoShutter, Thumb, VideoRecorder } from '../components/media.jsx';
import { Button, Choice, Notice } from '../components/ui.jsx';

export const STEPS = ['label', 'video', 'photos', 'checklist', 'grade', 'verdict', 'fee', 'review'];

function Thumbs({ list, testid }) {
  if (!list.length) return null;
  return (
    <div class="thumbs" data-testid={testid}>
      {list.map((m) => <Thumb m={m} key={m.id} />)}
    </div>
  );
}

export function LabelStep({ insp, media, user }) {
  const labels = media.filter((m) => m.kind === 'label_closeup');
  return (
    <div class="stack">
      <Notice kind={hasLabelPhoto(media) ? 'ok' : 'info'} testid="label-why">
        <strong>{t('label_step.required')}</strong>
        <details class="why">
          <summary>{t('label_step.why_title')}</summary>
          <p>{t('label_step.why')}</p>
        </details>
      </Notice>
      <PhotoShutter inspectionId={insp.id} kind="label_closeup" user={user} label={t('label_step.take')} />
      <Thumbs list={labels} testid="label-photos" />
    </div>
  );
}

export function VideoStep({ insp, media, user }) {
  const videos = media.filter((m) => m.kind === 'unboxing_video');
  return (
    <div class="stack">
      <p class="lead">{t('video.help')}</p>
      <VideoRecorder inspectionId={insp.id} user={user} again={videos.length > 0} />
      {videos.some((v) => v.interrupted) ? <Notice kind="warn">{t('video.recovered')}</Notice> : null}
      <Thumbs list={videos} testid="videos" />
    </div>
  );
}

export function PhotosStep({ insp, media, user, initialKind }) {
  const [kind, setKind] = useState(initialKind || 'package');
  const photos = media.filter((m) => PHOTO_KINDS.includes(m.kind));
  const count = (k) => photos.filter((m) => m.kind === k).length;
  return (
    <div class="stack">
      <Choice legend={t('photos.kind')} name="photo-kind" value={kind} columns={2} testid="photo-kind"
        onChange={setKind}
        options={PHOTO_KINDS.map((k) => ({ value: k, label: t(`kind.${k}`), badge: count(k) ? String(count(k)) : '' }))} />
      <PhotoShutter inspectionId={insp.id} kind={kind} user={user} key={kind} />
      <Thumbs list={photos} testid="photos" />
    </div>
  );
}

const TRI = [['yes', true], ['no', false], ['', undefined]];

export function ChecklistStep({ insp, user }) {
  const c = insp.checklist || {};
  // Built on the stored checklist, not this render's copy, which a quick
  // second tap would see before the first one's answer is loaded.
  const set = (key, v) => updateInspection(insp.id, (cur) => {
    const next = { ...(cur.checklist || {}) };
    if (v === undefined) delete next[key];
    else next[key] = v;
    return { checklist: next };
  }, user);
  return (
    <div class="stack">
      {CHECKLIST.map((key) => {
        const cur = c[key] === true ? 'yes' : c[key] === false ? 'no' : '';
        return (
          <Choice key={key} legend={t(`check.${key}`)} name={`check-${key}`} value={cur} columns={3}
            testid={`check-${key}`}
            onChange={(v) => set(key, TRI.find(([s]) => s === v)[1])}
            options={[
              { value: 'yes', label: t('common.yes') },
              { value: 'no', label: t('common.no') },
              { value: '', label: t('check.not_checked') },
            ]} />
        );
      })}
    </div>
  );
}

export function GradeStep({ insp, ret, policy, user }) {
  const setGrade = (grade) => {
    const allowed = dispositionsFor(grade);
    const patch = { grade };
    patch.disposition = allowed.includes(insp.disposition) ? insp.disposition : allowed.length === 1 ? allowed[0] : '';
    if (patch.disposition !== 'list_used') patch.used_condition = '';
    const max = maxFee(policy, grade, ret);
    if ((insp.restocking_fee_percent || 0) > max) patch.restocking_fee_percent = max;
    updateInspection(insp.id, patch, user);
  };
  const c = insp.checklist || {};
  const notIntact = insp.grade === 'resellable' && (c.signs_of_use === true || c.same_item === false);
  return (
    <div class="stack">
      <Choice legend={t('grade.legend')} name="grade" value={insp.grade} testid="grade" onChange={setGrade}
        options={GRADES.map((g) => ({ value: g, label: t(`grade.${g}`), hint: t(`grade.${g}_hint`) }))} />
      {notIntact ? <Notice kind="error">{t('problem.resellable_not_intact')}</Notice> : null}
      {insp.grade ? (
        <Choice legend={t('disposition.legend')} name="disposition" value={insp.disposition} testid="disposition"
          onChange={(d) => updateInspection(insp.id, { disposition: d, ...(d !== 'list_used' ? { used_condition: '' } : {}) }, user)}
          options={dispositionsFor(insp.grade).map((d) => ({ value: d, label: t(`disposition.${d}`) }))} />
      ) : null}
      {insp.disposition === 'list_used' ? (
        <Choice legend={t('used.legend')} name="used_condition" value={insp.used_condition} columns={2} testid="used-condition"
          onChange={(u) => updateInspection(insp.id, { used_condition: u }, user)}
          options={USED_CONDITIONS.map((u) => ({ value: u, label: t(`used.${u}`) }))} />
      ) : null}
    </div>
  );
}

export function VerdictStep({ insp, ret, media, user, goTo }) {
  const reason = reasonOf(ret);
  const blames = blamesSeller(reason);
  const hint = verdictHint(ret);
  const needsLabel = (insp.verdict === 'claim_disputed' || insp.verdict === 'item_swapped') && !hasLabelPhoto(media);
  return (
    <div class="verdict-layout">
      <aside class="card reason-aside" aria-label={t('verdict.reason_aside')} data-testid="verdict-reason">
        <span class="k">{t('return.reason')}</span>
        <strong>{ret ? reasonLabel(ret) : t('verdict.no_return')}</strong>
        {ret?.reason_raw && ret.reason_raw !== reason ? <span class="raw">{ret.reason_raw}</span> : null}
        {ret?.buyer_comment ? <blockquote class="buyer-comment">{ret.buyer_comment}</blockquote> : null}
        <p class="hint">{blames ? t('verdict.blames_seller') : t('verdict.no_blame')}</p>
      </aside>
      <div class="stack">
        <Choice legend={t('verdict.legend')} name="verdict" value={insp.verdict} testid="verdict"
          onChange={(v) => updateInspection(insp.id, { verdict: v }, user)}
          options={VERDICTS.map((v) => ({
            value: v, label: t(`verdict.${v}`), hint: t(`verdict.${v}_hint`),
            badge: v === hint ? t('verdict.suggested') : '',
            disabled: (v === 'claim_supported' || v === 'claim_disputed') && !blames,
          }))} />
        {needsLabel ? (
          <Notice kind="error">
            {t('problem.label_photo_required')}
            <Button onClick={() => goTo('label')}>{t('steps.label')}</Button>
          </Notice>
        ) : null}
      </div>
    </div>
  );
}

export function FeeStep({ insp, ret, media, policy, user, goTo }) {
  const fba = ret && ret.channel === 'fba';
  const itemPhoto = hasItemPhoto(media);
  const threshold = policy.fee_photo_threshold_percent;
  const max = maxFee(policy, insp.grade, ret);
  // The photo rule is enforced here: without a photo of the item the fee
  // stops just under the threshold, and the screen says why.
  const cap = itemPhoto ? max : Math.min(max, threshold - 1);
  const suggestion = suggestedFee(policy, insp.grade, itemPhoto, ret);
  const fee = insp.restocking_fee_percent || 0;
  const [capped, setCapped] = useState(false);
  const set = (v) => {
    const n = Math.round(Number(v) || 0);
    const clamped = Math.max(0, Math.min(n, cap));
    setCapped(n > cap && !itemPhoto && n >= threshold && n <= max);
    updateInspection(insp.id, { restocking_fee_percent: clamped }, user);
  };
  if (!insp.grade) return <Notice kind="info">{t('fee.grade_first')}<Button onClick={() => goTo('grade')}>{t('steps.grade')}</Button></Notice>;
  if (fba) return <Notice kind="info" testid="fee-fba">{t('fee.fba')}</Notice>;
  if (max === 0) return <Notice kind="info" testid="fee-none">{t('fee.none_for_grade', { grade: t(`grade.${insp.grade}`) })}</Notice>;
  // The server rounds the deduction half up to the cent (inspection.RestockingFee).
  const cents = ret && ret.order_amount ? Math.round(Number(ret.order_amount) * 100) : 0;
  const amount = cents ? Math.round((cents * fee) / 100) / 100 : null;
  return (
    <div class="stack">
      <div class="card fee-card">
        <p class="lead">{t('fee.suggestion', { n: suggestion, max })}</p>
        <Button kind="primary" onClick={() => set(suggestion)} data-testid="use-suggestion">{t('fee.use_suggestion', { n: suggestion })}</Button>
      </div>
      <div class="stepper" role="group" aria-label={t('fee.label')}>
        <Button class="step-btn" onClick={() => set(fee - 5)} aria-label={t('fee.minus')}>−5</Button>
        <label class="field field-fee">
          <span>{t('fee.label')}</span>
          <input type="number" inputMode="numeric" min="0" max={cap} step="1" value={fee}
            onChange={(e) => set(e.currentTarget.value)} data-testid="fee-input" />
          <span class="unit">%</span>
        </label>
        <Button class="step-btn" onClick={() => set(fee + 5)} aria-label={t('fee.plus')}>+5</Button>
      </div>
      {amount !== null ? <p class="lead">{t('fee.amount', { amount: money(amount, ret.currency) })}</p> : null}
      <Notice kind={!itemPhoto && (capped || fee >= threshold - 1) ? 'warn' : 'info'} testid="fee-rule">
        <p>{t('fee.photo_rule', { n: threshold })}</p>
        {!itemPhoto ? (
          <>
            <p>{t('fee.no_item_photo', { n: threshold - 1 })}</p>
            <Button onClick={() => goTo('photos', 'contents')}>{t('fee.take_item_photo')}</Button>
          </>
        ) : null}
      </Notice>
    </div>
  );
}
