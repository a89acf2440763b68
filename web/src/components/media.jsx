// Taking and showing evidence: the photo shutter, the unboxing recorder
// and thumbnails of what was taken, with each file's upload state.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { blobOf, savePhoto } from '../media.js';
import { snapshot } from '../camera.js';
import { record, pickType } from '../recorder.js';
import { progress } from '../uploads.js';
import { bytes, duration } from '../format.js';
import { useTopic } from '../hooks.js';
import { notify } from '../toast.js';
import { CameraView } from './camera-view.jsx';
import { Button } from './ui.jsx';

/** Thumb shows a photo from the device's copy, or the server's once verified. */
export function Thumb({ m }) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    let made = null;
    let live = true;
    if (m.kind !== 'unboxing_video' && m.content_type?.startsWith('image/')) {
      blobOf(m.id).then((b) => {
        if (!live) return;
        if (b) {
          made = URL.createObjectURL(b);
          setUrl(made);
        } else if (m.status === 'verified' || m.server_status === 'verified') {
          setUrl(`/api/v1/media/${m.id}`);
        }
      });
    }
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [m.id, m.state]);
  const label = t(`kind.${m.kind}`);
  return (
    <figure class="thumb" data-testid="media-item">
      {url ? <img src={url} alt={label} /> : (
        <div class="thumb-tile" aria-hidden="true">{m.kind === 'unboxing_video' ? '▶' : '▣'}</div>
      )}
      <figcaption>
        <span class="thumb-kind">{label}</span>
        {m.kind === 'unboxing_video' ? <span>{duration(m.duration_ms || 0)} · {bytes(m.size)}</span> : null}
        <MediaState m={m} />
      </figcaption>
    </figure>
  );
}

/** MediaState says where a file is on its way to the server. */
export function MediaState({ m }) {
  useTopic('uploads');
  const state = m.local ? m.state : m.status;
  const p = progress.get(m.id);
  let text = t(`media_state.${state}`);
  if (state === 'uploading' && p && p.total) text += ` ${Math.floor((p.sent / p.total) * 100)}%`;
  return <span class={`media-state state-${state}`}>{text}</span>;
}

/** PhotoShutter takes photos of one kind from the live camera, or via the phone's own camera app. */
export function PhotoShutter({ inspectionId, kind, user, onSaved, label }) {
  const video = useRef(null);
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState(false);
  const save = async (blob) => {
    setBusy(true);
    try {
      const m = await savePhoto(inspectionId, kind, blob, user);
      onSaved?.(m);
      notify('toast.photo_saved', { kind: t(`kind.${kind}`) }, 'brief');
    } catch (err) {
      notify('toast.save_failed', { error: err.message }, 'error');
    } finally {
      setBusy(false);
    }
  };
  const shoot = async () => {
    if (!video.current) return;
    setFlash(true);
    setTimeout(() => setFlash(false), 150);
    await save(await snapshot(video.current));
  };
  return (
    <div class="shutter-wrap">
      <CameraView label={t('photo.viewfinder')} onVideo={(v) => {
        video.current = v;
        setReady(!!v);
      }}>
        {flash ? <div class="flash" aria-hidden="true" /> : null}
      </CameraView>
      <div class="shutter-row">
        <Button kind="primary" class="btn-big shutter" disabled={busy || !ready} onClick={shoot} data-testid="take-photo">
          {label || t('photo.take', { kind: t(`kind.${kind}`) })}
        </Button>
        <label class="btn btn-secondary file-btn">
          {t('photo.phone_camera')}
          <input type="file" accept="image/*" capture="environment" class="visually-hidden"
            onChange={(e) => {
              const f = e.currentTarget.files && e.currentTarget.files[0];
              e.currentTarget.value = '';
              if (f) save(f);
            }} />
        </label>
      </div>
    </div>
  );
}

/** VideoRecorder films the unboxing in one take, showing elapsed time and size. */
export function VideoRecorder({ inspectionId, user, onDone, again = false }) {
  const stream = useRef(null);
  const rec = useRef(null);
  const [state, setState] = useState('idle');
  const [ready, setReady] = useState(false);
  const [tick, setTick] = useState({ elapsedMs: 0, bytes: 0 });
  const supported = pickType() !== null;

  // Leaving the step stops the recording; what was filmed is kept.
  useEffect(() => () => {
    if (rec.current) rec.current.stop().then(onDone, () => {});
  }, []);

  const start = async () => {
    if (!stream.current) return;
    try {
      rec.current = await record(stream.current, inspectionId, user, setTick);
      setTick({ elapsedMs: 0, bytes: 0 });
      setState('recording');
    } catch (err) {
      notify('toast.record_failed', { error: err.message }, 'error');
    }
  };
  const stop = async () => {
    const r = rec.current;
    rec.current = null;
    setState('saving');
    try {
      const m = await r.stop();
      onDone?.(m);
    } catch (err) {
      notify('toast.record_failed', { error: err.message }, 'error');
    }
    setState('idle');
  };
  if (!supported) return <p class="notice notice-warn">{t('video.unsupported')}</p>;
  return (
    <div class="shutter-wrap">
      <CameraView label={t('video.viewfinder')} onVideo={(v, s) => {
        stream.current = s;
        setReady(!!s);
      }}>
        {state === 'recording' ? (
          <div class="rec" role="timer" aria-live="off" data-testid="recording-status">
            <span class="rec-dot" aria-hidden="true" />
            <span>{t('video.rec')}</span>
            <span class="rec-time">{duration(tick.elapsedMs)}</span>
            <span class="rec-size">{bytes(tick.bytes)}</span>
          </div>
        ) : null}
      </CameraView>
      <div class="shutter-row">
        {state === 'recording' ? (
          <Button kind="danger" class="btn-big shutter" onClick={stop} data-testid="stop-recording">
            {t('video.stop', { time: duration(tick.elapsedMs) })}
          </Button>
        ) : (
          <Button kind={again ? 'secondary' : 'record'} class="btn-big shutter" disabled={state === 'saving' || !ready} onClick={start}
            data-testid="start-recording">
            {state === 'saving' ? t('video.saving') : again ? t('video.again') : t('video.start')}
          </Button>
        )}
      </div>
    </div>
  );
}
