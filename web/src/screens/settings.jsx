// The user's own settings on this device: language, badge and PIN for the
// quick switch, storage, the app's version, sign-out.
import { useState } from 'preact/hooks';
import { t, currentLanguage, setLanguage, LANGUAGE_NAMES } from '../i18n.js';
import { auth, logout, setPIN } from '../auth.js';
import { navigate } from '../router.js';
import { useLoad, useTopic } from '../hooks.js';
import { storageInfo, requestPersist } from '../storage.js';
import { update, applyUpdate } from '../sw-client.js';
import { bytes } from '../format.js';
import { isOffline } from '../api.js';
import { Button, Choice, Notice } from '../components/ui.jsx';

/* global __APP_VERSION__ */

function PinForm() {
  const [msg, setMsg] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    const pin = f.pin.value;
    if (pin !== f.pin2.value) {
      setMsg({ kind: 'error', text: t('settings.pin_mismatch') });
      return;
    }
    try {
      await setPIN(pin);
      f.reset();
      setMsg({ kind: 'ok', text: t('settings.pin_saved') });
    } catch (err) {
      setMsg({ kind: 'error', text: isOffline(err) ? t('settings.needs_network') : err.message || t('common.failed') });
    }
  };
  return (
    <form class="stack" onSubmit={submit} data-testid="pin-settings">
      <label class="field">
        <span>{t('settings.new_pin')}</span>
        <input name="pin" type="password" inputMode="numeric" pattern="[0-9]{4,8}" minLength={4} maxLength={8}
          autocomplete="new-password" required />
      </label>
      <label class="field">
        <span>{t('settings.repeat_pin')}</span>
        <input name="pin2" type="password" inputMode="numeric" pattern="[0-9]{4,8}" minLength={4} maxLength={8}
          autocomplete="new-password" required />
      </label>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      <button type="submit" class="btn btn-primary">{t('settings.save_pin')}</button>
    </form>
  );
}

export function SettingsScreen() {
  useTopic(['lang', 'update', 'auth']);
  const [storage, , reload] = useLoad(storageInfo, []);
  const [badgeError, setBadgeError] = useState(false);
  const user = auth.user;
  return (
    <main class="screen">
      <h1>{t('settings.title')}</h1>
      <section class="card">
        <Choice legend={t('settings.language')} name="language" value={currentLanguage()} columns={2} testid="language"
          onChange={(l) => setLanguage(l)}
          options={Object.entries(LANGUAGE_NAMES).map(([value, label]) => ({ value, label }))} />
      </section>

      <section class="card" aria-labelledby="s-badge">
        <h2 id="s-badge">{t('settings.badge')}</h2>
        <p>{t('settings.badge_help')}</p>
        <div class="print-area print-badge">
          <p class="badge-name">{user?.username}</p>
          {badgeError ? <Notice kind="warn">{t('settings.badge_unavailable')}</Notice> : (
            <img class="badge-qr" src="/api/v1/auth/badge.png" alt={t('settings.badge_alt', { name: user?.username || '' })}
              onError={() => setBadgeError(true)} />
          )}
        </div>
        <Button onClick={() => {
          document.documentElement.dataset.print = 'badge';
          print();
        }} disabled={badgeError}>{t('settings.print_badge')}</Button>
        <h3>{t('settings.pin')}</h3>
        <PinForm />
      </section>

      <section class="card" aria-labelledby="s-storage">
        <h2 id="s-storage">{t('queue.storage')}</h2>
        <p>{storage && storage.usage != null ? t('queue.storage_use', { used: bytes(storage.usage), quota: bytes(storage.quota) }) : t('queue.storage_unknown')}</p>
        <p>{storage?.persisted ? t('queue.persisted') : t('queue.not_persisted')}</p>
        {storage && !storage.persisted ? <Button onClick={() => requestPersist().then(reload)}>{t('queue.ask_persist')}</Button> : null}
      </section>

      <section class="card" aria-labelledby="s-app">
        <h2 id="s-app">{t('settings.app')}</h2>
        <p>{t('settings.version', { v: __APP_VERSION__ })}</p>
        {update.waiting ? <Button kind="primary" onClick={applyUpdate}>{t('update.reload')}</Button> : null}
      </section>

      <Button kind="danger" class="btn-big" onClick={() => logout().then(() => navigate('/login', { replace: true }))}>
        {t('settings.sign_out', { name: user?.username || '' })}
      </Button>
    </main>
  );
}
