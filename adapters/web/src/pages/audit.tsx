// The auditor's start: the chain-verified mark and the hires to look into.
import type { Verification } from '../api';
import { Loaded, useLoad } from '../components/load';
import { PageTitle, problemText, useSession } from '../components/ui';
import { known, useI18n } from '../i18n';
import { href } from '../router';

export function AuditPage() {
  const { api } = useSession();
  const { t } = useI18n();
  const [hires, reload] = useLoad(async () => (await api.hires()).data, [api]);
  return (
    <section>
      <PageTitle>{t('audit.title')}</PageTitle>
      <ChainMark />
      <p class="lead">{t('audit.intro')}</p>
      <Loaded load={hires} retry={reload}>
        {(list) =>
          list.length === 0 ? (
            <p class="empty">{t('hires.none')}</p>
          ) : (
            <div class="table-wrap card">
              <table class="audit-hires">
                <caption class="visually-hidden">{t('hires.all')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('register.name')}</th>
                    <th scope="col">{t('hire.unit')}</th>
                    <th scope="col">{t('hire.start')}</th>
                    <th scope="col">{t('hire.lifecycle')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((h) => (
                    <tr key={h.hire}>
                      <th scope="row">
                        <a href={href({ page: 'timeline', hire: h.hire })} aria-label={t('audit.open', { name: h.name })}>
                          {h.name}
                        </a>
                      </th>
                      <td>{h.unit}</td>
                      <td>{h.start}</td>
                      <td>{known(t, 'state', h.lifecycle)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}

// GET /v1/audit/verify walks the whole log's hash chain.
export function ChainMark() {
  const { api } = useSession();
  const { t } = useI18n();
  const [v] = useLoad<Verification>(async () => (await api.verify()).data, [api]);
  if (v.state === 'loading') return <p class="chain chain--pending">{t('audit.verifying')}</p>;
  if (v.state === 'ok' && v.data.ok)
    return (
      <p class="chain chain--ok" data-chain="ok">
        <span class="chain-icon" aria-hidden="true">
          ✓
        </span>
        <strong>{t('audit.verified')}</strong>{' '}
        <span class="chain-detail">
          {t('audit.verified.detail', { n: v.data.events_checked, hash: (v.data.head_hash ?? '').slice(0, 12) + '…' })}
        </span>
      </p>
    );
  return (
    <p class="chain chain--broken" data-chain="broken" role="alert">
      <span class="chain-icon" aria-hidden="true">
        ✗
      </span>
      <strong>{t('audit.broken')}</strong>
      {v.state === 'error' && <> {problemText(t, v.error)}</>}
    </p>
  );
}
