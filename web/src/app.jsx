// The app's frame: who is signed in (always visible), connection and queue
// state, the screen of the current path, the bottom navigation within a
// thumb's reach, messages, and the "new version" prompt.
import { useEffect } from 'preact/hooks';
import { t, currentLanguage, setLanguage } from './i18n.js';
import { useLoad, useTopic, useNow } from './hooks.js';
import { matchRoute, navigate } from './router.js';
import { auth, isLead } from './auth.js';
import { status as syncStatus } from './sync.js';
import { entries, summarize } from './outbox.js';
import { toasts, dismissToast } from './toast.js';
import { update, applyUpdate } from './sw-client.js';
import { activeRecording } from './recorder.js';
import { ago } from './format.js';
import { unlock } from './feedback.js';
import { Button } from './components/ui.jsx';
import { LoginScreen } from './screens/login.jsx';
import { ScanScreen } from './screens/scan.jsx';
import { QueueScreen } from './screens/queue.jsx';
import { SettingsScreen } from './screens/settings.jsx';
import { InspectionScreen } from './screens/inspection.jsx';
import { LabelScreen } from './screens/label.jsx';
import { ReturnScreen } from './screens/return.jsx';
import { UnitScreen } from './screens/unit.jsx';
import { OfficeScreen } from './screens/office.jsx';

function Header() {
  useTopic(['auth', 'sync', 'lang']);
  const [queue] = useLoad(async () => summarize(await entries()), [], ['outbox', 'synced']);
  useNow(30000);
  const user = auth.user;
  const online = navigator.onLine && syncStatus.state !== 'offline';
  const other = currentLanguage() === 'en' ? 'zh-CN' : 'en';
  const waiting = queue ? queue.pending + queue.blocked : 0;
  const refused = queue ? queue.rejected : 0;
  return (
    <header class="top">
      <div class="top-user" data-testid="current-user">
        {user ? (
          <>
            <button type="button" class="who" onClick={() => navigate('/login?switch=1')} data-testid="switch-user"
              aria-label={`${t('header.signed_in_as', { name: user.username })}. ${t('header.switch_user')}`}>
              <span class="who-name">{user.username}</span>
              <span class="who-role">{t(`role.${user.role}`)} · {t('header.switch')}</span>
            </button>
          </>
        ) : (
          <span class="who">{t('header.nobody')}</span>
        )}
      </div>
      {user ? <a href="/queue" class={`top-sync sync-${online ? syncStatus.state : 'offline'}`} data-testid="sync-status"
        aria-label={t('header.sync_label', { state: t(`sync.${online ? syncStatus.state : 'offline'}`), n: waiting })}>
        <span class="dot" aria-hidden="true" />
        <span>{t(`sync.${online ? syncStatus.state : 'offline'}`)}</span>
        {waiting ? <span class="count">{t('header.waiting', { n: waiting })}</span> : null}
        {refused ? <span class="count count-bad">{t('header.refused', { n: refused })}</span> : null}
        <span class="when">{t('header.last_sync', { when: ago(syncStatus.lastSyncAt) })}</span>
      </a> : <span class="top-sync" />}
      <Button kind="ghost" class="btn-small lang" lang={other} onClick={() => setLanguage(other)}
        aria-label={t('header.language_switch')}>
        {other === 'en' ? 'English' : '中文'}
      </Button>
    </header>
  );
}

function Nav({ route }) {
  useTopic(['auth', 'lang']);
  const items = [
    ['/scan', 'nav.scan', route === 'scan'],
    ['/queue', 'nav.queue', route === 'queue'],
    ['/settings', 'nav.settings', route === 'settings'],
  ];
  if (isLead(auth.user)) items.push(['/office', 'nav.office', route === 'office']);
  return (
    <nav class="bottom" aria-label={t('nav.label')}>
      {items.map(([href, key, on]) => (
        <a href={href} class={`bottom-item ${on ? 'is-on' : ''}`} aria-current={on ? 'page' : undefined} key={href}>
          {t(key)}
        </a>
      ))}
    </nav>
  );
}

function Toasts() {
  useTopic(['toasts', 'lang']);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.map((m) => (
        <div class={`toast toast-${m.kind}`} key={m.id}>
          <span>{t(m.key, m.params)}</span>
          <Button kind="ghost" class="btn-small" onClick={() => dismissToast(m.id)}>{t('common.dismiss')}</Button>
        </div>
      ))}
    </div>
  );
}

function UpdatePrompt() {
  useTopic(['update', 'lang', 'media']);
  if (!update.waiting) return null;
  const busy = !!activeRecording();
  return (
    <div class="update" role="alert" data-testid="update-prompt">
      <span>{busy ? t('update.after_recording') : t('update.ready')}</span>
      <Button kind="primary" class="btn-small" disabled={busy} onClick={applyUpdate}>{t('update.reload')}</Button>
    </div>
  );
}

function Screen({ route }) {
  const { name, params } = route;
  switch (name) {
    case 'login': return <LoginScreen />;
    case 'scan': return <ScanScreen />;
    case 'queue': return <QueueScreen />;
    case 'settings': return <SettingsScreen />;
    case 'office': return <OfficeScreen />;
    case 'inspection': return <InspectionScreen id={params.id} />;
    case 'label': return <LabelScreen id={params.id} />;
    case 'return': return <ReturnScreen id={params.id} />;
    case 'unit': return <UnitScreen unit={params.unit} />;
    default:
      return (
        <main class="screen">
          <h1>{t('notfound.title')}</h1>
          <a href="/scan" class="btn btn-primary">{t('nav.scan')}</a>
        </main>
      );
  }
}

export function App() {
  useTopic(['route', 'auth', 'lang']);
  useEffect(() => {
    // Sound needs a user gesture once; the first tap anywhere is it.
    const first = () => unlock();
    addEventListener('pointerdown', first, { once: true });
    addEventListener('keydown', first, { once: true });
  }, []);
  let route = matchRoute(location.pathname);
  if (!auth.ready) {
    return <main class="screen"><p class="loading">{t('common.loading')}</p></main>;
  }
  // Signed out (or the session ended): sign in first. Nothing queued is lost.
  if (!auth.user || auth.expired) route = { name: 'login', params: {} };
  const framed = route.name !== 'login' || (auth.user && !auth.expired);
  return (
    <div class="app">
      <Header />
      <UpdatePrompt />
      <Screen route={route} />
      {framed && route.name !== 'login' && route.name !== 'inspection' ? <Nav route={route.name} /> : null}
      <Toasts />
    </div>
  );
}
