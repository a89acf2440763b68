// One inspection: the wizard while it is a draft, its record once completed.
import { useRef, useState } from 'preact/hooks';
import { t, has } from '../i18n.js';
import { auth, isLead } from '../auth.js';
import { navigate } from '../router.js';
import { useLoad, useTopic } from '../hooks.js';
import { S, byIndex } from '../db.js';
import { api, isOffline } from '../api.js';
import {
  applyChanges, completeInspection, discardInspection, getInspection, getReturn, policies as loadPolicies, setLocal,
  updateInspection,
} from '../records.js';
import { enqueue } from '../outbox.js';
import { mediaOf } from '../media.js';
import { policyFor } from '../policy.js';
import { completionProblems, hasLabelPhoto } from '../rules.js';
import { activeRecording } from '../recorder.js';
import { acknowledge, keepMyChanges, takeServerVersion } from '../conflicts.js';
import { dateTime, money } from '../format.js';
import { reasonLabel } from '../components/return-card.jsx';
import { Thumb } from '../components/media.jsx';
import { Button, LinkButton, Notice, ReasonForm, Row } from '../components/ui.jsx';
import {
  STEPS, LabelStep, VideoStep, PhotosStep, ChecklistStep, GradeStep, VerdictStep, FeeStep,
} from './steps.jsx';

const STEP_OF_FIELD = { grade: 'grade', disposition: 'grade', used_condition: 'grade', verdict: 'verdict', fee: 'fee', photos: 'label' };

/** problemText words a problem from its code, falling back to the server's own message. */
function problemText(p) {
  const key = `problem.${p.code}`;
  return has(key) ? t(key, { n: p.threshold ?? p.max ?? '' }) : p.message || p.code;
}

function stepOfProblem(p) {
  if (p.field) return STEP_OF_FIELD[p.field] || 'review';
  const c = p.code || '';
  if (c.includes('fee')) return c === 'fee_photo_required' ? 'photos' : 'fee';
  if (c.includes('verdict')) return 'verdict';
  if (c.includes('label')) return 'label';
  return 'grade';
}

function ServerNotices({ insp }) {
  if (insp.conflict) {
    return (
      <Notice kind="error" title={t('conflict.title')} testid="conflict">
        <p>{t('conflict.body', { n: insp.conflict.current_version })}</p>
        {insp.server ? (
          <dl class="facts">
            <Row label={t('grade.legend')}>{insp.server.grade ? t(`grade.${insp.server.grade}`) : '—'}</Row>
            <Row label={t('verdict.legend')}>{insp.server.verdict ? t(`verdict.${insp.server.verdict}`) : '—'}</Row>
            <Row label={t('fee.label')}>{`${insp.server.restocking_fee_percent || 0}%`}</Row>
            <Row label={t('review.notes')}>{insp.server.notes}</Row>
          </dl>
        ) : null}
        <div class="button-row">
          <Button kind="primary" onClick={() => keepMyChanges(insp)}>{t('conflict.keep_mine')}</Button>
          <Button onClick={() => takeServerVersion(insp)}>{t('conflict.take_theirs')}</Button>
        </div>
      </Notice>
    );
  }
  if (insp.rejection) {
    return (
      <Notice kind="error" title={t('rejected.title')} testid="rejection">
        <p>{insp.rejection.message}</p>
        {(insp.rejection.problems || []).length ? (
          <ul>{insp.rejection.problems.map((p) => <li key={p.code}>{problemText(p)}</li>)}</ul>
        ) : null}
        <Button onClick={() => acknowledge(insp)}>{t('rejected.ack')}</Button>
      </Notice>
    );
  }
  return null;
}

function ReviewStep({ insp, ret, media, problems, user, goTo, flush }) {
  const [notes, setNotes] = useState(insp.notes || '');
  const saved = useRef(insp.notes || '');
  const timer = useRef(0);
  // Notes are kept as they are typed (a crash loses at most a moment) and
  // before completing (the bottom bar's button calls flush).
  const saveNotes = () => {
    clearTimeout(timer.current);
    const v = notesRef.current;
    if (v !== saved.current) {
      saved.current = v;
      return updateInspection(insp.id, { notes: v }, user);
    }
    return Promise.resolve();
  };
  const notesRef = useRef(notes);
  notesRef.current = notes;
  flush.current = saveNotes;
  const [discarding, setDiscarding] = useState(false);
  const discard = async (reason) => {
    await discardInspection(insp.id, reason, user);
    navigate('/scan', { replace: true });
  };
  const c = insp.checklist || {};
  return (
    <div class="stack">
      <label class="field">
        <span>{t('review.notes')}</span>
        <textarea name="notes" rows="4" maxLength={8000} value={notes}
          onInput={(e) => {
            setNotes(e.currentTarget.value);
            clearTimeout(timer.current);
            timer.current = setTimeout(saveNotes, 800);
          }} onBlur={saveNotes} />
      </label>
      <dl class="facts card">
        <Row label={t('grade.legend')}>{insp.grade ? t(`grade.${insp.grade}`) : '—'}</Row>
        <Row label={t('disposition.legend')}>{insp.disposition ? t(`disposition.${insp.disposition}`) : '—'}</Row>
        <Row label={t('used.legend')}>{insp.used_condition ? t(`used.${insp.used_condition}`) : ''}</Row>
        <Row label={t('verdict.legend')}>{insp.verdict ? t(`verdict.${insp.verdict}`) : '—'}</Row>
        <Row label={t('fee.label')}>{`${insp.restocking_fee_percent || 0}%`}</Row>
        <Row label={t('review.evidence')}>{t('review.evidence_count', { n: media.length })}</Row>
        <Row label={t('steps.checklist')}>{Object.keys(c).length ? Object.entries(c).map(([k, v]) => `${t(`check.${k}`)}: ${v ? t('common.yes') : t('common.no')}`).join('; ') : '—'}</Row>
      </dl>
      {problems.length ? (
        <Notice kind="warn" title={t('review.missing')} testid="problems">
          <ul class="problems">
            {problems.map((p) => (
              <li key={p.code}>
                <span>{problemText(p)}</span>
                <Button class="btn-small" onClick={() => goTo(stepOfProblem(p))}>{t('review.fix')}</Button>
              </li>
            ))}
          </ul>
        </Notice>
      ) : (
        <Notice kind="ok">{t('review.ready')}</Notice>
      )}
      {!navigator.onLine ? <p class="hint">{t('review.offline_note')}</p> : null}
      {media.length === 0 && insp.status === 'draft' ? (
        discarding ? (
          <ReasonForm label={t('review.discard_reason')} confirm={t('review.discard')} fallback="opened by mistake"
            onConfirm={discard} onCancel={() => setDiscarding(false)} testid="discard-form" />
        ) : (
          <Button kind="ghost" onClick={() => setDiscarding(true)}>{t('review.discard')}</Button>
        )
      ) : null}
      {ret ? null : <p class="hint">{t('review.unexpected_note')}</p>}
    </div>
  );
}

function Summary({ insp, ret, media, unit, user }) {
  const lead = isLead(user);
  const [reopening, setReopening] = useState(false);
  const reopen = async (reason) => {
    await enqueue('inspection.reopen', { id: insp.id, reason }, user.id);
    await setLocal(insp.id, { status: 'draft', step: 'review' });
  };
  const base = `/api/v1/inspections/${insp.id}`;
  return (
    <div class="stack">
      <Notice kind={insp.complete_pending ? 'info' : 'ok'} testid="completed">
        <strong>{insp.complete_pending ? t('summary.completed_pending') : t('summary.completed')}</strong>
        {insp.waiting_files ? <p>{t('summary.waiting_files', { n: insp.waiting_files })}</p> : null}
      </Notice>
      <dl class="facts card">
        <Row label={t('summary.inspector')}>{insp.inspector_name || insp.completed_by || insp.inspector_id}</Row>
        <Row label={t('summary.completed_at')}>{dateTime(insp.completed_at)}</Row>
        <Row label={t('grade.legend')}>{insp.grade ? t(`grade.${insp.grade}`) : ''}</Row>
        <Row label={t('disposition.legend')}>{insp.disposition ? t(`disposition.${insp.disposition}`) : ''}</Row>
        <Row label={t('used.legend')}>{insp.used_condition ? t(`used.${insp.used_condition}`) : ''}</Row>
        <Row label={t('verdict.legend')}>{insp.verdict ? t(`verdict.${insp.verdict}`) : ''}</Row>
        <Row label={t('fee.label')}>{insp.restocking_fee_percent ? `${insp.restocking_fee_percent}%${insp.restocking_fee_amount ? ` (${money(insp.restocking_fee_amount, ret?.currency)})` : ''}` : ''}</Row>
        <Row label={t('review.notes')}>{insp.notes}</Row>
      </dl>
      {insp.grade === 'resellable' ? (
        unit ? (
          <LinkButton kind="primary" class="btn-big" href={`/inspections/${insp.id}/label`} data-testid="open-label">
            {t('summary.print_label', { unit: unit.id })}
          </LinkButton>
        ) : (
          <Notice kind="info">{t('summary.label_after_sync')}</Notice>
        )
      ) : null}
      {lead && !insp.complete_pending ? (
        <section class="card" aria-label={t('summary.evidence')}>
          <h2>{t('summary.evidence')}</h2>
          <div class="button-col">
            <LinkButton href={`${base}/label-card.jpg`} target="_blank" rel="noopener">{t('summary.label_card')}</LinkButton>
            <LinkButton href={`${base}/evidence.pdf`} target="_blank" rel="noopener">{t('summary.evidence_pdf')}</LinkButton>
            <LinkButton href={`${base}/evidence.zip`} download>{t('summary.evidence_zip')}</LinkButton>
          </div>
        </section>
      ) : null}
      <div class="thumbs">{media.map((m) => <Thumb m={m} key={m.id} />)}</div>
      {lead && !insp.complete_pending ? (
        reopening ? (
          <ReasonForm label={t('summary.reopen_reason')} confirm={t('summary.reopen')} required
            onConfirm={reopen} onCancel={() => setReopening(false)} testid="reopen-form" />
        ) : (
          <Button onClick={() => setReopening(true)}>{t('summary.reopen')}</Button>
        )
      ) : null}
      <LinkButton kind="primary" class="btn-big" href="/scan" data-testid="scan-next">{t('summary.scan_next')}</LinkButton>
    </div>
  );
}

async function loadAll(id) {
  let insp = await getInspection(id);
  if (!insp && navigator.onLine) {
    // A link to an inspection this device never pulled: show the server's copy.
    try {
      // Kept like a pulled copy, so that it can be worked on offline too.
      const res = await api('GET', `/api/v1/inspections/${id}`);
      await applyChanges([
        { entity: 'inspection', id, op: 'upsert', data: res.inspection },
        ...(res.media || []).map((m) => ({ entity: 'media', id: m.id, op: 'upsert', data: m })),
      ]);
      insp = await getInspection(id);
    } catch (err) {
      if (!isOffline(err) && err.status !== 404) throw err;
    }
  }
  if (!insp) return { insp: null };
  const ret = insp.return_id ? await getReturn(insp.return_id) : null;
  const media = await mediaOf(id);
  const units = await byIndex(S.units, 'inspection_id', id);
  return { insp, ret, media, unit: units[0] || null, pols: await loadPolicies() };
}

export function InspectionScreen({ id }) {
  useTopic(['lang']);
  const [data, error] = useLoad(() => loadAll(id), [id], ['inspections', 'media', 'returns', 'units', 'policies']);
  const [photoKind, setPhotoKind] = useState(null);
  const [completing, setCompleting] = useState(false);
  const flush = useRef(() => Promise.resolve());
  useTopic('media');
  const user = auth.user;
  if (error) return <main class="screen"><Notice kind="error">{error.message}</Notice></main>;
  if (!data) return <main class="screen"><p class="loading">{t('common.loading')}</p></main>;
  const { insp, ret, media, unit, pols } = data;
  if (!insp) {
    return (
      <main class="screen">
        <Notice kind="warn" title={t('inspection.not_found')}>{t('inspection.not_found_body')}</Notice>
        <LinkButton kind="primary" href="/scan">{t('nav.scan')}</LinkButton>
      </main>
    );
  }
  const policy = policyFor(pols, ret?.marketplace);
  const title = ret ? (ret.product_name || ret.order_id) : t('inspection.unexpected', { code: insp.scanned_code || '—' });
  const head = (
    <header class="wiz-head">
      <h1>{title}</h1>
      <p class="sub">
        {ret ? `${reasonLabel(ret)}${ret.order_id ? ` · ${ret.order_id}` : ''}` : t('inspection.unexpected_sub')}
        {' · '}
        {t('inspection.by', { name: insp.inspector_name || insp.inspector_id || '' })}
      </p>
    </header>
  );
  if (insp.status === 'completed') {
    return (
      <main class="screen">
        {head}
        <ServerNotices insp={insp} />
        <Summary insp={insp} ret={ret} media={media} unit={unit} user={user} />
      </main>
    );
  }
  const step = STEPS.includes(insp.step) ? insp.step : 'label';
  const index = STEPS.indexOf(step);
  const recording = !!activeRecording();
  const labelDone = hasLabelPhoto(media);
  const goTo = (s, kind) => {
    if (recording) return;
    if (kind) setPhotoKind(kind);
    setLocal(insp.id, { step: s });
    scrollTo(0, 0);
  };
  const problems = completionProblems(insp, ret, media, policy);
  const done = {
    label: labelDone,
    video: media.some((m) => m.kind === 'unboxing_video'),
    photos: media.some((m) => !['label_closeup', 'unboxing_video'].includes(m.kind)),
    checklist: Object.keys(insp.checklist || {}).length > 0,
    grade: !!insp.grade && !!insp.disposition,
    verdict: !!insp.verdict,
    fee: !!insp.grade,
    review: false,
  };
  const props = { insp, ret, media, user, policy, goTo };
  // The label close-up comes first and is required: every later step waits for it.
  const locked = (s) => s !== 'label' && !labelDone;
  return (
    <main class="screen screen-wizard">
      {head}
      <ServerNotices insp={insp} />
      <nav class="steps" aria-label={t('steps.label_nav')}>
        <ol>
          {STEPS.map((s, i) => (
            <li key={s}>
              <button type="button" class={`step ${s === step ? 'is-on' : ''} ${done[s] ? 'is-done' : ''}`}
                ref={s === step ? (el) => el?.scrollIntoView({ block: 'nearest', inline: 'center' }) : undefined}
                aria-current={s === step ? 'step' : undefined} disabled={recording || locked(s)} onClick={() => goTo(s)}>
                <span class="step-n" aria-hidden="true">{done[s] ? '✓' : i + 1}</span>
                <span class="step-name">{t(`steps.${s}`)}</span>
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <h2 class="visually-hidden">{t('steps.heading', { n: index + 1, of: STEPS.length, name: t(`steps.${step}`) })}</h2>
      <section class="step-body" aria-label={t(`steps.${step}`)}>
        {step === 'label' ? <LabelStep {...props} /> : null}
        {step === 'video' ? <VideoStep {...props} /> : null}
        {step === 'photos' ? <PhotosStep {...props} initialKind={photoKind} key={photoKind || 'p'} /> : null}
        {step === 'checklist' ? <ChecklistStep {...props} /> : null}
        {step === 'grade' ? <GradeStep {...props} /> : null}
        {step === 'verdict' ? <VerdictStep {...props} /> : null}
        {step === 'fee' ? <FeeStep {...props} /> : null}
        {step === 'review' ? <ReviewStep {...props} problems={problems} flush={flush} /> : null}
      </section>
      <div class="wiz-nav">
        <Button class="btn-big" disabled={index === 0 || recording} onClick={() => goTo(STEPS[index - 1])}>
          {t('common.back')}
        </Button>
        {step === 'review' ? (
          <Button kind="primary" class="btn-big" disabled={completing || problems.length > 0} data-testid="complete"
            onClick={async () => {
              setCompleting(true);
              try {
                await flush.current();
                await completeInspection(insp.id, user);
              } finally {
                setCompleting(false);
              }
            }}>
            {t('review.complete')}
          </Button>
        ) : null}
        {index < STEPS.length - 1 ? (
          <Button kind="primary" class="btn-big" disabled={recording || (step === 'label' && !labelDone)}
            onClick={() => goTo(STEPS[index + 1])} data-testid="next-step">
            {step === 'label' && !labelDone ? t('label_step.needed') : t('common.next')}
          </Button>
        ) : null}
      </div>
    </main>
  );
}
