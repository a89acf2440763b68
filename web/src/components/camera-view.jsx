// The live viewfinder. It opens the shared camera stream while shown and
// hands the playing <video> to its parent (for scanning, photos, filming).
import { useEffect, useRef, useState } from 'preact/hooks';
import { acquire, release, hasCamera, cameraErrorKey } from '../camera.js';
import { t } from '../i18n.js';
import { Button } from './ui.jsx';

export function CameraView({ onVideo, label, children, compact = false, wide = false }) {
  const ref = useRef(null);
  const [error, setError] = useState(hasCamera() ? null : 'camera.unsupported');
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!hasCamera()) return undefined;
    let live = true;
    let held = false;
    acquire().then((stream) => {
      held = true;
      if (!live) return;
      const v = ref.current;
      v.srcObject = stream;
      const ready = () => {
        if (live) onVideo?.(v, stream);
      };
      if (v.readyState >= 2) ready();
      else v.addEventListener('loadeddata', ready, { once: true });
      v.play().catch(() => {});
      setError(null);
    }, (err) => {
      if (live) setError(cameraErrorKey(err));
    });
    return () => {
      live = false;
      onVideo?.(null, null);
      if (held) release();
    };
  }, [attempt]);

  return (
    <div class={`camera ${compact ? (wide ? 'camera-strip' : 'camera-compact') : ''}`}>
      <video ref={ref} class="camera-video" playsInline muted autoPlay aria-label={label} />
      {children}
      {error ? (
        <div class="camera-error" role="alert">
          <p>{t(error)}</p>
          {error !== 'camera.unsupported' ? (
            <Button kind="primary" onClick={() => setAttempt((n) => n + 1)}>{t('camera.retry')}</Button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
