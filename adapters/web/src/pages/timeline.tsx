// The auditor's timeline of one hire: every record of its stream (recorded,
// effective, actor, type, details, hash) with the outcome of each reminder's
// delivery, the journey as it stood on a chosen date, and the export. A fact
// corrected or retracted shows struck through, naming the record that did it;
// that record shows what it changed, why, who and when. A damaged hire shows
// why, and its records (each unreadable one marked), without a state.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type AsOf, type HistoryEntry, type Notification, type Problem, type Status } from '../api';
import { handleUnauthorized, Loaded, useLoad } from '../components/load';
import { Field, formErrors, GeneralError, noErrors, PageTitle, problemText, useSession, type FormErrors } from '../components/ui';
import { noteServerToday, today } from '../dates';
import { known, useI18n } from '../i18n';
import { EventMeta, RecordBody, recordState, useHistoryIndex } from '../components/history';
import { isCorrection, isFact, nameFromHistory } from '../corrections';
import { ChainMark } from './audit';
import { DamageNotice, isDamaged, Progress } from './hire';

interface View {
  current?: Status; // today's status: the name, and proof that the hire may be read
  damaged?: Problem; // instead of a status: the hire's records cannot all be read
  view?: Status; // as of the chosen date
  history: HistoryEntry[];
  notifications: Notification[];
  asOfError?: FormErrors;
}

export function TimelinePage({ hire }: { hire: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [asOf, setAsOf] = useState<AsOf | undefined>();
  const [draft, setDraft] = useState<AsOf>({ date: '', basis: 'recorded' });

  const [data, reload] = useLoad(async (): Promise<View> => {
    // Today's status first: a hire one may not read stops here (404), showing nothing.
    let current: Status;
    try {
      current = (await api.status(hire)).data;
    } catch (e) {
      // A damaged hire (409, only to those who may read it) has records but no state.
      if (!isDamaged(e)) throw e;
      const [history, notifications] = await Promise.all([api.history(hire), api.notifications(hire)]);
      return { damaged: e.problem, history: history.data, notifications: notifications.data };
    }
    noteServerToday(current.as_of);
    const notifications = (await api.notifications(hire)).data;
    if (!asOf) {
      const history = (await api.history(hire)).data;
      return { current, view: current, history, notifications };
    }
    try {
      const [view, history] = await Promise.all([api.status(hire, asOf), api.history(hire, asOf)]);
      const end = `${asOf.date}T23:59:59.999999Z`;
      return { current, view: view.data, history: history.data, notifications: notifications.filter((n) => n.decided_at <= end) };
    } catch (e) {
      // as_of before the hire existed (404 naming the parameter) or a bad date.
      if (e instanceof ApiError && e.problem.parameter) {
        return { current, history: [], notifications: [], asOfError: formErrors(t, e, ['as_of', 'basis']) };
      }
      throw e;
    }
  }, [api, hire, asOf?.date, asOf?.basis], { keep: true });

  const show = (e: Event) => {
    e.preventDefault();
    setAsOf(draft.date ? { ...draft } : undefined);
  };

  return (
    <Loaded load={data} retry={reload}>
      {(d) => (
        <article class="timeline-page" data-hire={hire}>
          <PageTitle>{t('timeline.title', { name: d.current?.name ?? nameFromHistory(d.history) ?? hire })}</PageTitle>
          <ChainMark />
          {d.damaged && <DamageNotice problem={d.damaged} />}
          {d.current && (
            <form class="card asof" onSubmit={show} noValidate>
              <GeneralError errors={{ byName: {}, general: d.asOfError?.general }} />
              <div class="asof-row">
                <Field label={t('timeline.asOf')} name="as_of" errors={d.asOfError ?? noErrors}>
                  {(p) => (
                    <input
                      {...p}
                      type="date"
                      name="as_of"
                      value={draft.date}
                      max={today()}
                      onInput={(e) => setDraft({ ...draft, date: (e.target as HTMLInputElement).value })}
                    />
                  )}
                </Field>
                <fieldset class="basis" data-api-name="basis">
                  <legend>{t('timeline.basis')}</legend>
                  {(['recorded', 'effective'] as const).map((b) => (
                    <div class="field field--check" key={b}>
                      <input
                        type="radio"
                        name="basis"
                        id={`basis-${b}`}
                        value={b}
                        checked={draft.basis === b}
                        onChange={() => setDraft({ ...draft, basis: b })}
                      />
                      <label for={`basis-${b}`}>{t(`timeline.basis.${b}`)}</label>
                    </div>
                  ))}
                </fieldset>
              </div>
              <div class="actions">
                <button type="submit" class="button--primary">
                  {t('timeline.show')}
                </button>
                <button
                  type="button"
                  onClick={() => {
                    setDraft({ date: '', basis: draft.basis });
                    setAsOf(undefined);
                  }}
                >
                  {t('timeline.today')}
                </button>
              </div>
            </form>
          )}
          {d.current && (
            <p class="viewing" data-viewing={asOf ? asOf.date : 'today'}>
              {asOf
                ? t('timeline.viewing', { date: asOf.date, basis: t(`timeline.basis.${asOf.basis}.short`) })
                : t('timeline.viewing.today')}
            </p>
          )}
          {d.view && (
            <div class="hire-grid">
              <section class="card" aria-labelledby="state-title" data-asof-state>
                <h2 id="state-title">{t('timeline.state')}</h2>
                <dl class="facts">
                  <dt>{t('hire.lifecycle')}</dt>
                  <dd data-lifecycle={d.view.lifecycle}>{known(t, 'state', d.view.lifecycle)}</dd>
                  <dt>{t('hire.unit')}</dt>
                  <dd>{d.view.unit}</dd>
                  <dt>{t('hire.start')}</dt>
                  <dd>{d.view.start}</dd>
                  <dt>{t('hours.title')}</dt>
                  <dd>
                    {t('hours.summary', {
                      owed: Math.round(d.view.hours.owed * 10) / 10,
                      logged: Math.round(d.view.hours.logged * 10) / 10,
                      balance: Math.round(d.view.hours.balance * 10) / 10,
                    })}
                  </dd>
                </dl>
              </section>
              <Progress s={d.view} />
            </div>
          )}
          <Export hire={hire} asOf={asOf} />
          <Events history={d.history} notifications={d.notifications} />
        </article>
      )}
    </Loaded>
  );
}

function Events({ history, notifications }: { history: HistoryEntry[]; notifications: Notification[] }) {
  const { t } = useI18n();
  const byMessage = new Map<string, Notification[]>();
  for (const n of notifications) byMessage.set(n.message_id, [...(byMessage.get(n.message_id) ?? []), n]);
  const inHistory = new Set<string>();
  const { byVersion, changes } = useHistoryIndex(history);
  const rows = history.map((h) => {
    const message = h.type === 'NotificationDecided' ? h.details.split(' ')[0] : undefined;
    if (message) inHistory.add(message);
    return { h, deliveries: message ? byMessage.get(message) ?? [] : [] };
  });
  // A notification the history does not show (it should not happen) still appears.
  const orphans = notifications.filter((n) => !inHistory.has(n.message_id));
  return (
    <section aria-labelledby="events-title" class="events">
      <h2 id="events-title" class="section-title">
        {t('timeline.events')} <span class="count">({t('timeline.count', { n: history.length })})</span>
      </h2>
      <ol class="event-list">
        {rows.map(({ h, deliveries }) => (
          <li key={h.position} class={`event card event--${recordState(h)}`} data-type={h.type} data-version={h.version} data-state={recordState(h)}>
            <div class="event-head">
              <strong class="event-type">{known(t, 'event', h.type)}</strong>
              <span class="event-version">v{h.version}</span>
            </div>
            {isFact(h) || isCorrection(h) ? <RecordBody h={h} byVersion={byVersion} changes={changes} /> : <p class="event-details">{h.details}</p>}
            <EventMeta h={h} effective hash />
            {deliveries.map((n) => (
              <p key={n.channel} class={`delivery delivery--${n.outcome}`}>
                {n.channel}: {t('timeline.delivery', { outcome: known(t, 'outcome', n.outcome), attempts: n.attempts })}{' '}
                {t('timeline.to', { to: n.to })}
              </p>
            ))}
          </li>
        ))}
        {orphans.map((n) => (
          <li key={`${n.message_id}-${n.channel}`} class="event card" data-type="Notification">
            <div class="event-head">
              <strong class="event-type">{known(t, 'event', 'NotificationDecided')}</strong>
            </div>
            <p class="event-details">
              {n.subject} — {t('timeline.to', { to: n.to })}
            </p>
            <p class={`delivery delivery--${n.outcome}`}>
              {n.channel}: {t('timeline.delivery', { outcome: known(t, 'outcome', n.outcome), attempts: n.attempts })}
            </p>
          </li>
        ))}
      </ol>
    </section>
  );
}

// The export needs the Authorization header: it is fetched, then offered to the
// browser as a Blob download.
function Export({ hire, asOf }: { hire: string; asOf?: AsOf }) {
  const { api, announce } = useSession();
  const { t } = useI18n();
  const [ready, setReady] = useState<{ url: string; filename: string } | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const urls = useRef<string[]>([]);
  useEffect(() => () => urls.current.forEach((u) => URL.revokeObjectURL(u)), []);

  const run = async (format: 'csv' | 'json') => {
    setBusy(true);
    setError(undefined);
    try {
      const { blob, filename } = await api.export(hire, format, asOf);
      const url = URL.createObjectURL(blob);
      urls.current.push(url);
      setReady({ url, filename });
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      announce(t('timeline.export.ready', { file: filename }));
    } catch (e) {
      if (!handleUnauthorized(e)) setError(problemText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card export" aria-labelledby="export-title">
      <h2 id="export-title">{t('timeline.export')}</h2>
      <div class="actions">
        <button type="button" onClick={() => run('csv')} disabled={busy} data-export="csv">
          {t('timeline.export.csv')}
        </button>
        <button type="button" onClick={() => run('json')} disabled={busy} data-export="json">
          {t('timeline.export.json')}
        </button>
        {ready && (
          <a href={ready.url} download={ready.filename} data-download>
            {t('timeline.export.link', { file: ready.filename })}
          </a>
        )}
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
