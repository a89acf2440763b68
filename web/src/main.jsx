// The bench app's entry point. The first screen renders before anything
// slow (the database, the server) so the app opens at once with no network.
import { render } from 'preact';
import './app.css';
import { App } from './app.jsx';
import { initLanguage } from './i18n.js';
import { openDB } from './db.js';
import { initAuth } from './auth.js';
import { startRouter } from './router.js';
import { startSync } from './sync.js';
import { registerSW } from './sw-client.js';
import { recoverRecordings } from './media.js';
import { requestPersist } from './storage.js';
import { notify } from './toast.js';

async function boot() {
  initLanguage();
  startRouter();
  addEventListener('afterprint', () => {
    delete document.documentElement.dataset.print;
  });
  render(<App />, document.getElementById('app'));
  registerSW();
  try {
    await openDB();
  } catch (err) {
    notify('toast.db_failed', { error: err.message }, 'error');
    return;
  }
  requestPersist();
  await initAuth();
  // A recording cut short by a crash or a closed app is kept as it was.
  const recovered = await recoverRecordings(null);
  if (recovered.length) notify('toast.recovered', { n: recovered.length }, 'info');
  startSync();
}

boot();
