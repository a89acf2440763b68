// The new QR label of a resellable unit: preview, print from the phone
// (CSS @page sized 2 x 1 in), or send ZPL to the network label printer.
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { S, byIndex } from '../db.js';
import { useLoad, useTopic } from '../hooks.js';
import { api, isOffline } from '../api.js';
import { getInspection } from '../records.js';
import { auth, isLead } from '../auth.js';
import { Button, LinkButton, Notice } from '../components/ui.jsx';

export function LabelScreen({ id }) {
  useTopic('lang');
  const [data] = useLoad(async () => ({
    insp: await getInspection(id),
    unit: (await byIndex(S.units, 'inspection_id', id))[0] || null,
  }), [id], ['units', 'inspections']);
  const [msg, setMsg] = useState(null);
  const [busy, setBusy] = useState(false);
  const [imgError, setImgError] = useState(false);
  const base = `/api/v1/inspections/${id}`;
  const sendToPrinter = async () => {
    setBusy(true);
    setMsg(null);
    try {
      const res = await api('POST', `${base}/relabel/print`, { body: { size: '2x1' } });
      setMsg({ kind: 'ok', text: t('label.sent', { printer: res.printer }) });
    } catch (err) {
      // The server's words are English; ours say what to do in the user's language.
      let text = err.message || t('common.failed');
      if (isOffline(err)) text = t('label.offline');
      else if (err.status === 503) text = `${t('label.printer_unavailable')} (${err.message})`;
      setMsg({ kind: 'error', text });
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="screen">
      <h1>{t('label.title')}</h1>
      {data?.unit ? <p class="lead">{t('label.unit', { unit: data.unit.id })}</p> : null}
      <div class="print-area print-label">
        {imgError ? <Notice kind="warn">{navigator.onLine ? t('label.not_ready') : t('label.offline')}</Notice> : (
          <img class="label-img" src={`${base}/relabel.png`} alt={t('label.preview_alt', { unit: data?.unit?.id || '' })}
            onError={() => setImgError(true)} data-testid="label-preview" />
        )}
      </div>
      <div class="button-col">
        <Button kind="primary" class="btn-big" disabled={imgError} onClick={() => {
          document.documentElement.dataset.print = 'label';
          print();
        }} data-testid="print-label">{t('label.print')}</Button>
        <Button class="btn-big" disabled={busy} onClick={sendToPrinter} data-testid="send-printer">{t('label.send_printer')}</Button>
        {msg ? <Notice kind={msg.kind} testid="printer-result">{msg.text}</Notice> : null}
        <LinkButton href={`${base}/relabel.pdf`} target="_blank" rel="noopener">{t('label.pdf')}</LinkButton>
        <LinkButton href={`${base}/relabel.zpl`} download>{t('label.zpl')}</LinkButton>
        {isLead(auth.user) ? (
          <>
            <LinkButton href={`${base}/label-card.jpg`} target="_blank" rel="noopener">{t('summary.label_card')}</LinkButton>
            <LinkButton href={`${base}/evidence.pdf`} target="_blank" rel="noopener">{t('summary.evidence_pdf')}</LinkButton>
          </>
        ) : null}
        <LinkButton href={`/inspections/${id}`}>{t('label.back')}</LinkButton>
      </div>
      {data && !data.insp ? <p class="hint">{t('label.remote')}</p> : null}
    </main>
  );
}
