// One expected return, opened from a link or the office list.
import { t } from '../i18n.js';
import { useLoad, useNow, useTopic } from '../hooks.js';
import { api } from '../api.js';
import { S, put, withCodes } from '../db.js';
import { getReturn, inspectionsOfReturn, policies as loadPolicies } from '../records.js';
import { ReturnCard } from '../components/return-card.jsx';
import { LinkButton, Notice } from '../components/ui.jsx';

async function load(id) {
  let ret = await getReturn(id);
  if (!ret && navigator.onLine) {
    try {
      ret = (await api('GET', `/api/v1/returns/${encodeURIComponent(id)}`)).return;
      if (ret) await put(S.returns, withCodes(ret));
    } catch {
      ret = null;
    }
  }
  return { ret, inspections: ret ? await inspectionsOfReturn(ret.id) : [], pols: await loadPolicies() };
}

export function ReturnScreen({ id }) {
  useTopic('lang');
  const now = useNow(60000);
  const [data] = useLoad(() => load(id), [id], ['returns', 'inspections']);
  if (!data) return <main class="screen"><p class="loading">{t('common.loading')}</p></main>;
  if (!data.ret) return <main class="screen"><Notice kind="warn">{t('return.not_found')}</Notice></main>;
  return (
    <main class="screen">
      <h1 class="visually-hidden">{t('return.card_label')}</h1>
      <ReturnCard ret={data.ret} policies={data.pols} now={now} />
      <ul class="links">
        {data.inspections.map((i) => (
          <li key={i.id}>
            <LinkButton class="btn-wide" href={`/inspections/${i.id}`}>
              {i.status === 'completed' ? t('scan.view_completed') : t('scan.continue_draft')}
            </LinkButton>
          </li>
        ))}
      </ul>
    </main>
  );
}
