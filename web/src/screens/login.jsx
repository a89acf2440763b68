// Sign-in on a shared phone: a badge QR and a short PIN for the quick
// switch at the bench, or a username and password. The password goes to
// the server and nowhere else; the session is the server's cookie.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { auth, badgeLogin, login, logout } from '../auth.js';
import { navigate } from '../router.js';
import { badgeUser } from '../codes.js';
import { scanLoop } from '../scanner.js';
import { scanOK, scanUnknown } from '../feedback.js';
import { WedgeBuffer } from '../wedge.js';
import { S, getAll } from '../db.js';
import { useLoad } from '../hooks.js';
import { isOffline } from '../api.js';
import { CameraView } from '../components/camera-view.jsx';
import { Button, Notice } from '../components/ui.jsx';

function errorText(err) {
  if (isOffline(err)) return t('login.offline');
  if (err.status === 401) return err.message || t('login.wrong');
  if (err.status === 404) return t('login.badge_unavailable');
  return err.message || t('common.failed');
}

function afterSignIn() {
  const p = location.pathname;
  if (p === '/login' || p === '/') navigate('/scan', { replace: true });
}

function PasswordForm() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    setBusy(true);
    setError('');
    try {
      await login(f.username.value.trim(), f.password.value);
      f.password.value = '';
      afterSignIn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={submit} data-testid="password-form">
      <label class="field">
        <span>{t('login.username')}</span>
        <input name="username" autocomplete="username" autocapitalize="none" required maxLength={64}
          defaultValue={auth.expired ? auth.user?.username || '' : ''} />
      </label>
      <label class="field">
        <span>{t('login.password')}</span>
        <input name="password" type="password" autocomplete="current-password" required />
      </label>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <button type="submit" class="btn btn-primary btn-big" disabled={busy}>
        {busy ? t('login.signing_in') : t('login.sign_in')}
      </button>
    </form>
  );
}

function PinPad({ badge, who, onCancel }) {
  const [pin, setPin] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (ev) => {
    ev?.preventDefault();
    if (pin.length < 4) return;
    setBusy(true);
    setError('');
    try {
      await badgeLogin(badge, pin);
      afterSignIn();
      if (location.pathname.startsWith('/login')) navigate('/scan', { replace: true });
    } catch (err) {
      setError(errorText(err));
      setPin('');
    } finally {
      setBusy(false);
    }
  };
  const press = (d) => setPin((p) => (p.length < 8 ? p + d : p));
  return (
    <form class="stack" onSubmit={submit} data-testid="pin-form">
      <p class="lead">{who ? t('login.pin_for', { name: who }) : t('login.pin_for_badge')}</p>
      <label class="field">
        <span>{t('login.pin')}</span>
        {/* inputMode none: the keypad below is the phone's keyboard here (the
            system one would cover it); a hardware keyboard still types. */}
        <input name="pin" type="password" inputMode="none" autocomplete="off" pattern="[0-9]*" maxLength={8}
          value={pin} onInput={(e) => setPin(e.currentTarget.value.replace(/\D/g, '').slice(0, 8))} autoFocus />
      </label>
      <div class="keypad" role="group" aria-label={t('login.keypad')}>
        {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => (
          <button type="button" class="key" key={d} onClick={() => press(d)}>{d}</button>
        ))}
        <button type="button" class="key" onClick={() => setPin((p) => p.slice(0, -1))} aria-label={t('login.backspace')}>⌫</button>
        <button type="button" class="key" onClick={() => press('0')}>0</button>
        <button type="submit" class="key key-ok" disabled={busy || pin.length < 4}>{t('login.ok')}</button>
      </div>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <Button onClick={onCancel}>{t('login.scan_other_badge')}</Button>
    </form>
  );
}

function BadgeSignIn() {
  // A badge scanned on the scan screen arrives in the URL (a badge is no secret).
  const [badge, setBadge] = useState(() => {
    const b = new URLSearchParams(location.search).get('badge') || '';
    return badgeUser(b) ? b : '';
  });
  const [hint, setHint] = useState('');
  const [users] = useLoad(() => getAll(S.users), []);
  const stop = useRef(null);
  const take = (code) => {
    const id = badgeUser(code);
    if (!id) {
      scanUnknown();
      setHint(t('login.not_a_badge'));
      return;
    }
    scanOK();
    setHint('');
    setBadge(code.trim());
  };
  // A wedge scanner reads badges too.
  useEffect(() => {
    if (badge) return undefined;
    const wedge = new WedgeBuffer();
    const onKey = (ev) => {
      if (ev.target instanceof HTMLInputElement) return;
      const code = wedge.key(ev.key, ev.timeStamp);
      if (code) take(code);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [badge]);
  useEffect(() => () => stop.current?.(), []);
  if (badge) {
    const id = badgeUser(badge);
    const who = (users || []).find((u) => u.id === id)?.username;
    return <PinPad badge={badge} who={who} onCancel={() => setBadge('')} />;
  }
  return (
    <div class="stack">
      <p class="lead">{t('login.badge_help')}</p>
      <CameraView label={t('login.badge_camera')} compact onVideo={(v) => {
        stop.current?.();
        stop.current = v ? scanLoop(v, take) : null;
      }} />
      {hint ? <Notice kind="warn">{hint}</Notice> : null}
    </div>
  );
}

export function LoginScreen() {
  const switching = new URLSearchParams(location.search).has('switch');
  const [users] = useLoad(() => getAll(S.users), []);
  const known = (users || []).length > 0;
  const [mode, setMode] = useState(null);
  const m = mode || (switching || known ? 'badge' : 'password');
  return (
    <main class="screen screen-login">
      <h1>{switching ? t('login.switch_title') : t('login.title')}</h1>
      {auth.expired ? (
        <Notice kind="warn" title={t('login.expired_title')}>{t('login.expired', { name: auth.user?.username || '' })}</Notice>
      ) : null}
      <div class="tabs" role="tablist" aria-label={t('login.method')}>
        <button type="button" role="tab" aria-selected={m === 'badge'} class={`tab ${m === 'badge' ? 'is-on' : ''}`}
          onClick={() => setMode('badge')}>{t('login.with_badge')}</button>
        <button type="button" role="tab" aria-selected={m === 'password'} class={`tab ${m === 'password' ? 'is-on' : ''}`}
          onClick={() => setMode('password')}>{t('login.with_password')}</button>
      </div>
      <div role="tabpanel">{m === 'badge' ? <BadgeSignIn /> : <PasswordForm />}</div>
      {auth.user ? (
        <div class="stack gap-top">
          {switching && !auth.expired ? <Button onClick={() => history.back()}>{t('common.cancel')}</Button> : null}
          <Button kind="ghost" onClick={() => logout().then(() => navigate('/login', { replace: true }))}>
            {t('login.sign_out', { name: auth.user.username })}
          </Button>
        </div>
      ) : null}
    </main>
  );
}
