// Everything still on its way to the server: "3 inspections, 412 MB
// waiting; last sync 2 min ago", each file's upload with its progress, and
// every change the server refused, with what to do about it.
import { t } from '../i18n.js';
import { useLoad, useNow, useTopic } from '../hooks.js';
import { entries, dismiss, summarize } from '../outbox.js';
import { waiting, progress, pump } from '../uploads.js';
import { status as syncStatus, syncNow } from '../sync.js';
import { retryUpload } from '../media.js';
import { auth } from '../auth.js';
import { S, getAll } from '../db.js';
import { storageInfo, requestPersist } from '../storage.js';
import { ago, bytes, duration } from '../format.js';
import { MediaState } from '../components/media.jsx';
import { Button, LinkButton, Notice, Progress } from '../components/ui.jsx';

async function load() {
  const [list, files, users, inspections, storage] = await Promise.all([
    entries(), waiting(), getAll(S.users), getAll(S.inspections), storageInfo(),
  ]);
  return { list, files, users, inspections, storage };
}

function mutationLabel(e, inspections) {
  const insp = inspections.find((i) => i.id === e.group);
  const what = t(`mutation.${e.type}`);
  if (e.type === 'media.declare') return `${what}: ${t(`kind.${e.payload.kind}`)}`;
  if (insp) return `${what}: ${insp.scanned_code || insp.id.slice(0, 8)}`;
  return what;
}

export function QueueScreen() {
  useTopic(['sync', 'uploads', 'lang']);
  useNow(30000);
  const [data, , reload] = useLoad(load, [], ['outbox', 'synced', 'media', 'inspections']);
  if (!data) return <main class="screen"><p class="loading">{t('common.loading')}</p></main>;
  const { list, files, users, inspections, storage } = data;
  const sum = summarize(list);
  const waitingFiles = files.filter((f) => f.state !== 'failed');
  const fileBytes = waitingFiles.reduce((n, f) => n + (f.size || 0), 0);
  const sent = waitingFiles.reduce((n, f) => n + (f.state === 'uploaded' ? f.size : progress.get(f.id)?.sent || 0), 0);
  const groups = new Set([...list.filter((e) => e.state !== 'rejected').map((e) => e.group), ...waitingFiles.map((f) => f.inspection_id)]);
  const inspectionCount = [...groups].filter((g) => !String(g).startsWith('return:')).length;
  const rejected = list.filter((e) => e.state === 'rejected');
  const blocked = list.filter((e) => e.state === 'blocked');
  const failed = files.filter((f) => f.state === 'failed');
  // Work another user made on this phone waits for them (an inspector may
  // only send their own; a lead may send anyone's of the site).
  const others = list.filter((e) => e.state === 'pending' && e.actor_id && e.actor_id !== auth.user?.id &&
    (auth.user?.role === 'inspector' || e.error?.code === 'forbidden'));
  const nameOf = (id) => users.find((u) => u.id === id)?.username || id;
  const conflictGroups = new Set(rejected.filter((e) => e.error?.code === 'conflict').map((e) => e.group));

  return (
    <main class="screen">
      <h1>{t('queue.title')}</h1>
      <p class="summary" data-testid="queue-summary">
        {t('queue.summary', {
          inspections: t('queue.n_inspections', { n: inspectionCount }),
          size: bytes(fileBytes),
          when: ago(syncStatus.lastSyncAt),
        })}
      </p>
      <div class="button-row">
        <Button kind="primary" class="btn-big" onClick={() => syncNow().then(() => { pump(); reload(); })}
          disabled={syncStatus.state === 'syncing'} data-testid="sync-now">
          {syncStatus.state === 'syncing' ? t('sync.syncing') : t('queue.sync_now')}
        </Button>
      </div>
      <p class={`sync-line sync-${syncStatus.state}`}>{t(`sync.${syncStatus.state}`)}{syncStatus.error ? `: ${syncStatus.error}` : ''}</p>

      {rejected.length || failed.length || blocked.length ? (
        <section aria-labelledby="q-refused">
          <h2 id="q-refused">{t('queue.refused')}</h2>
          <ul class="list">
            {rejected.map((e) => (
              <li class="list-item item-bad" key={e.seq} data-testid="rejected-item">
                <strong>{mutationLabel(e, inspections)}</strong>
                <p>{e.error?.message || e.error?.code}</p>
                {(e.error?.problems || []).length ? <ul>{e.error.problems.map((p) => <li key={p.code}>{p.message}</li>)}</ul> : null}
                <div class="button-row">
                  {inspections.some((i) => i.id === e.group) ? (
                    <LinkButton href={`/inspections/${e.group}`}>{t('queue.open')}</LinkButton>
                  ) : null}
                  {e.error?.code === 'conflict' ? null : (
                    <Button onClick={() => dismiss(e.seq)}>{t('queue.ack')}</Button>
                  )}
                </div>
              </li>
            ))}
            {failed.map((f) => (
              <li class="list-item item-bad" key={f.id} data-testid="failed-file">
                <strong>{t('queue.file_refused', { kind: t(`kind.${f.kind}`), size: bytes(f.size) })}</strong>
                <p>{f.error?.message || t(`file_error.${f.error?.code === 'bytes_lost' ? 'bytes_lost' : 'other'}`)}</p>
                <div class="button-row">
                  <LinkButton href={`/inspections/${f.inspection_id}`}>{t('queue.open')}</LinkButton>
                  {f.error?.code !== 'bytes_lost' ? (
                    <Button onClick={() => retryUpload(f.id, auth.user.id).then(() => syncNow())}>{t('queue.retry')}</Button>
                  ) : null}
                </div>
              </li>
            ))}
            {blocked.filter((e) => !conflictGroups.has(e.group)).map((e) => (
              <li class="list-item" key={e.seq}>
                <strong>{mutationLabel(e, inspections)}</strong>
                <p>{t('queue.blocked')}</p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {others.length ? (
        <Notice kind="info" title={t('queue.others_title')}>
          {[...new Set(others.map((e) => e.actor_id))].map((id) => (
            <p key={id}>{t('queue.others', { name: nameOf(id) })}</p>
          ))}
        </Notice>
      ) : null}

      <section aria-labelledby="q-files">
        <h2 id="q-files">{t('queue.files')}</h2>
        {waitingFiles.length ? (
          <>
            <Progress label={t('queue.overall')} value={sent} max={fileBytes || 1}
              text={`${bytes(sent)} / ${bytes(fileBytes)}`} />
            <ul class="list">
              {waitingFiles.map((f) => {
                const p = progress.get(f.id);
                const done = f.state === 'uploaded' ? f.size : p?.sent || 0;
                return (
                  <li class="list-item" key={f.id} data-testid="upload-item">
                    <div class="item-head">
                      <strong>{t(`kind.${f.kind}`)}</strong>
                      <MediaState m={f} />
                    </div>
                    <Progress label={f.filename} value={done} max={f.size || 1}
                      text={`${bytes(done)} / ${bytes(f.size)}${f.duration_ms ? ` · ${duration(f.duration_ms)}` : ''}`} />
                    {!f.declared && f.state === 'ready' ? <p class="hint">{t('queue.waiting_declare')}</p> : null}
                  </li>
                );
              })}
            </ul>
          </>
        ) : <p>{t('queue.no_files')}</p>}
      </section>

      <section aria-labelledby="q-changes">
        <h2 id="q-changes">{t('queue.changes')}</h2>
        <p>{t('queue.changes_count', { n: sum.pending + sum.blocked })}</p>
        {list.filter((e) => e.state === 'pending' && e.error && e.error.code !== 'forbidden').map((e) => (
          <p class="hint" key={e.seq}>{mutationLabel(e, inspections)}: {e.error.message}</p>
        ))}
      </section>

      <section aria-labelledby="q-storage">
        <h2 id="q-storage">{t('queue.storage')}</h2>
        <p data-testid="storage-use">
          {storage.usage != null ? t('queue.storage_use', { used: bytes(storage.usage), quota: bytes(storage.quota) }) : t('queue.storage_unknown')}
        </p>
        <p>{storage.persisted ? t('queue.persisted') : t('queue.not_persisted')}</p>
        {!storage.persisted ? <Button onClick={() => requestPersist().then(reload)}>{t('queue.ask_persist')}</Button> : null}
      </section>
    </main>
  );
}
