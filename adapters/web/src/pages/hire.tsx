// One hire, for the unit head: progress, deadlines, the checklist grouped by
// responsible role (ticked with a done date), course modules, supervision,
// leave, the introducer's hours, and the history, where a fact recorded wrong
// is corrected or retracted. Every command carries If-Match with the version
// the page was drawn from; a 412 reloads and says so. A damaged hire (its
// status answers 409 hire_damaged) shows why, and its history with the
// unreadable record marked, to be corrected or retracted.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, newIdempotencyKey, type Api, type CorrectionBody, type HistoryEntry, type Problem, type Programme, type Status } from '../api';
import { etagOfHistory, nameFromHistory } from '../corrections';
import { HireHistory } from '../components/history';
import { HoursChart, HoursTable } from '../components/hours';
import { handleUnauthorized, Loaded, useLoad } from '../components/load';
import { RecordForm, type FieldDef } from '../components/record-form';
import { DoneDateField, formErrors, PageTitle, ProgressBar, problemText, useSession, type FormErrors } from '../components/ui';
import { noteServerToday, today } from '../dates';
import { known, useI18n, type Translate } from '../i18n';
import { attendance, checklist, ROLE_ORDER, type Attendance, type ChecklistLine } from '../journey-facts';
import { href, pageRoles } from '../router';

const programmes = new Map<string, Promise<Programme>>();

export function programmeOf(api: Api, id: string, version: number): Promise<Programme> {
  const key = `${id}@${version}`;
  let p = programmes.get(key);
  if (!p) {
    p = api.programme(id, version).then((a) => a.data);
    p.catch(() => programmes.delete(key));
    programmes.set(key, p);
  }
  return p;
}

interface Bundle {
  damaged?: undefined;
  status: Status;
  etag?: string;
  programme: Programme;
  history: HistoryEntry[];
}

// A hire whose history cannot be read, decoded or replayed: no status, the
// reason, and (when the records can be read at all) its history.
interface DamagedBundle {
  damaged: Problem;
  hire: string;
  history?: HistoryEntry[];
  historyError?: string;
}

export function isDamaged(e: unknown): e is ApiError {
  return e instanceof ApiError && e.status === 409 && e.problem.code === 'hire_damaged';
}

export function HirePage({ hire }: { hire: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [conflict, setConflict] = useState(false);
  const [bundle, reload] = useLoad(async (): Promise<Bundle | DamagedBundle> => {
    // The status first: a hire one may not read stops here, with nothing shown.
    let s;
    try {
      s = await api.status(hire);
    } catch (e) {
      if (!isDamaged(e)) throw e;
      try {
        return { damaged: e.problem, hire, history: (await api.history(hire)).data };
      } catch (h) {
        if (handleUnauthorized(h)) throw h;
        return { damaged: e.problem, hire, historyError: problemText(t, h) };
      }
    }
    noteServerToday(s.data.as_of);
    const [programme, history] = await Promise.all([
      programmeOf(api, s.data.programme.id, s.data.programme.version),
      api.history(hire).then((a) => a.data),
    ]);
    return { status: s.data, etag: s.etag, programme, history };
  }, [api, hire]);

  return (
    <Loaded load={bundle} retry={reload}>
      {(b) =>
        b.damaged ? (
          <DamagedView b={b} reload={reload} conflict={conflict} setConflict={setConflict} />
        ) : (
          <HireView b={b} reload={reload} conflict={conflict} setConflict={setConflict} />
        )
      }
    </Loaded>
  );
}

// Sends one command or correction; null when it was recorded (the page is
// reloaded and the live region says what), else the errors to show.
function useSender(reload: () => Promise<void>, setConflict: (c: boolean) => void) {
  const { announce } = useSession();
  const { t } = useI18n();
  return async (send: () => Promise<unknown>, controls: string[], what: string): Promise<FormErrors | null> => {
    try {
      await send();
      setConflict(false);
      await reload();
      announce(what);
      return null;
    } catch (e) {
      if (handleUnauthorized(e)) return null;
      if (e instanceof ApiError && e.status === 412) {
        setConflict(true);
        await reload();
        announce(t('hire.reloaded'));
        return { byName: {}, general: t('hire.reloaded') };
      }
      return formErrors(t, e, controls);
    }
  };
}

interface ViewProps<B> {
  b: B;
  reload: () => Promise<void>;
  conflict: boolean;
  setConflict: (c: boolean) => void;
}

function HireView({ b, reload, conflict, setConflict }: ViewProps<Bundle>) {
  const { api, me } = useSession();
  const { t } = useI18n();
  const s = b.status;
  const sender = useSender(reload, setConflict);

  const record = (command: Record<string, unknown>, controls: string[], what: string) =>
    sender(() => api.record(s.hire, command, { ifMatch: b.etag, idempotencyKey: newIdempotencyKey() }), controls, t('record.saved', { what }));
  const correct = (body: CorrectionBody, controls: string[], what: string) =>
    sender(() => api.correct(s.hire, body, { ifMatch: b.etag, idempotencyKey: newIdempotencyKey() }), controls, what);
  const itemRoles = new Map([...b.programme.items.map((i) => [i.id, i.role] as const), ...(s.items ?? []).map((i) => [i.id, i.role] as const)]);

  return (
    <article class="hire" data-hire={s.hire} data-version={b.etag}>
      <div class="page-head">
        <PageTitle>{s.name}</PageTitle>
        {pageRoles.timeline.includes(me.role) && (
          <a class="button" href={href({ page: 'timeline', hire: s.hire })}>
            {t('hire.timeline')}
          </a>
        )}
      </div>
      {conflict && <Conflict />}
      <div class="hire-grid">
        <Summary s={s} />
        <Progress s={s} />
      </div>
      <Checklist lines={checklist(b.programme.items, s)} record={record} />
      <h2 class="section-title">{t('record.title')}</h2>
      <div class="record-grid">
        <RecordForms s={s} facts={attendance(s)} record={record} />
      </div>
      <Hours s={s} record={record} />
      <HireHistory
        history={b.history}
        me={me}
        choices={{ items: b.programme.items.map((i) => ({ id: i.id, text: i.text })) }}
        itemRole={(id) => itemRoles.get(id)}
        send={correct}
      />
    </article>
  );
}

function Conflict() {
  const { t } = useI18n();
  return (
    <div class="alert alert--warn" role="alert" data-conflict>
      {t('hire.reloaded')}
    </div>
  );
}

function DamagedView({ b, reload, conflict, setConflict }: ViewProps<DamagedBundle>) {
  const { api, me } = useSession();
  const { t } = useI18n();
  const sender = useSender(reload, setConflict);
  const history = b.history ?? [];
  const etag = etagOfHistory(history);
  const correct = (body: CorrectionBody, controls: string[], what: string) =>
    sender(() => api.correct(b.hire, body, { ifMatch: etag, idempotencyKey: newIdempotencyKey() }), controls, what);
  return (
    <article class="hire hire--damaged" data-hire={b.hire} data-version={etag} data-damaged>
      <div class="page-head">
        <PageTitle>{nameFromHistory(history) ?? b.hire}</PageTitle>
        {pageRoles.timeline.includes(me.role) && (
          <a class="button" href={href({ page: 'timeline', hire: b.hire })}>
            {t('hire.timeline')}
          </a>
        )}
      </div>
      {conflict && <Conflict />}
      <DamageNotice problem={b.damaged}>
        {b.history ? <p>{t('hire.damaged.history')}</p> : <p>{t('hire.damaged.noHistory')} {b.historyError}</p>}
      </DamageNotice>
      {b.history && <HireHistory history={history} me={me} choices={{ items: [] }} itemRole={() => undefined} send={correct} />}
    </article>
  );
}

// Why a hire is damaged, as the server's 409 hire_damaged says it.
export function DamageNotice({ problem, children }: { problem: Problem; children?: ComponentChildren }) {
  const { t } = useI18n();
  return (
    <section class="alert alert--error damage-notice" aria-labelledby="damage-title" data-damage-notice>
      <h2 id="damage-title">
        <span class="tag tag--late">{known(t, 'state', 'Damaged')}</span> {t('hire.damaged.title')}
      </h2>
      <p data-damage-detail>{problem.detail || problem.damage}</p>
      {children}
    </section>
  );
}

function Summary({ s }: { s: Status }) {
  const { t } = useI18n();
  return (
    <section class="card" aria-labelledby="summary-title">
      <h2 id="summary-title" class="visually-hidden">
        {s.name}
      </h2>
      <dl class="facts">
        <dt>{t('hire.lifecycle')}</dt>
        <dd data-lifecycle={s.lifecycle}>{known(t, 'state', s.lifecycle)}</dd>
        <dt>{t('hire.unit')}</dt>
        <dd>{s.unit}</dd>
        <dt>{t('hire.start')}</dt>
        <dd>{s.start}</dd>
        <dt>{t('hire.email')}</dt>
        <dd>{s.email}</dd>
        <dt>{t('hire.introducer')}</dt>
        <dd>{s.introducer ? s.introducer.name : t('hire.none')}</dd>
        <dt>{t('hire.mentor')}</dt>
        <dd>{s.mentor ? s.mentor.name : t('hire.none')}</dd>
        <dt>{t('hire.programme')}</dt>
        <dd>
          {s.programme.id} v{s.programme.version}
        </dd>
      </dl>
    </section>
  );
}

export function Progress({ s }: { s: Status }) {
  const { t } = useI18n();
  const overdue = s.overdue ?? [];
  const lateParts = new Set((s.deadlines ?? []).filter((d) => d.overdue).map((d) => d.id.split('.')[0]));
  return (
    <section class="card" aria-labelledby="progress-title" data-progress>
      <h2 id="progress-title">{t('hire.progress')}</h2>
      <div class="parts">
        {(s.parts ?? []).map((p) => (
          <ProgressBar key={p.part} label={known(t, 'part', p.part)} done={p.done} total={p.total} late={lateParts.has(p.part)} />
        ))}
      </div>
      {s.next_deadline && (
        <p class={`next${s.next_deadline.due < s.as_of ? ' overdue' : ''}`}>
          {t('hire.next', { title: s.next_deadline.title, date: s.next_deadline.due })}
        </p>
      )}
      <h3>{t('hire.deadlines')}</h3>
      <ul class="deadlines">
        {(s.deadlines ?? []).map((d) => (
          <li key={d.id} class={d.overdue ? 'overdue' : d.met ? 'met' : ''}>
            <span>{d.title}</span>{' '}
            <span class="when">
              {t('hire.deadline.due', { date: d.due })}
              {d.due !== d.nominal && ` ${t('hire.deadline.moved', { date: d.nominal })}`}
            </span>{' '}
            {d.met && <span class="tag tag--ok">{t('hire.deadline.met')}</span>}
            {d.overdue && <span class="tag tag--late">{t('hire.deadline.overdue')}</span>}
          </li>
        ))}
      </ul>
      <p class={overdue.length ? 'overdue' : 'ok'} data-overdue-count={overdue.length}>
        {overdue.length ? t('hire.overdue.count', { n: overdue.length }) : t('hire.overdue.none')}
      </p>
    </section>
  );
}

type Recorder = (command: { [k: string]: unknown }, controls: string[], what: string) => Promise<FormErrors | null>;

function Checklist({ lines, record }: { lines: ChecklistLine[]; record: Recorder }) {
  const { t } = useI18n();
  const [on, setOn] = useState(today());
  const [openOnly, setOpenOnly] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [errors, setErrors] = useState<{ [item: string]: string }>({});
  const [dateError, setDateError] = useState<string | undefined>();

  const tick = async (line: ChecklistLine) => {
    if (busy) return;
    const open = () => [...document.querySelectorAll<HTMLInputElement>('.items input[type=checkbox]:not(:disabled)')];
    const index = open().findIndex((el) => el.id === `item-${line.item.id}`);
    setBusy(line.item.id);
    setDateError(undefined);
    const r = await record({ kind: 'item', item: line.item.id, on }, ['/on', '/item'], line.item.text);
    setBusy(null);
    // A ticked item is done and no longer takes the focus: keep the keyboard
    // at the same place in the list of open items.
    if (!r)
      window.setTimeout(() => {
        const rest = open();
        rest[Math.min(index, rest.length - 1)]?.focus();
      }, 0);
    if (r?.byName['/on']) setDateError(r.byName['/on']);
    setErrors({ ...errors, [line.item.id]: r ? (r.general ?? r.byName['/item'] ?? r.byName['/on'] ?? '') : '' });
  };

  const groups = ROLE_ORDER.map((role) => ({ role, lines: lines.filter((l) => l.item.role === role) })).filter(
    (g) => g.lines.length > 0,
  );
  const other = lines.filter((l) => !ROLE_ORDER.includes(l.item.role));
  if (other.length) groups.push({ role: 'other', lines: other });

  return (
    <section class="checklist" aria-labelledby="checklist-title">
      <h2 id="checklist-title" class="section-title">
        {t('checklist.title')}
      </h2>
      <div class="checklist-tools card">
        <DoneDateField id="checklist-date" on={on} setOn={setOn} error={dateError} />
        <div class="field field--check">
          <input type="checkbox" id="checklist-open-only" checked={openOnly} onChange={(e) => setOpenOnly((e.target as HTMLInputElement).checked)} />
          <label for="checklist-open-only">{t('checklist.openOnly')}</label>
        </div>
      </div>
      {groups.map((g) => {
        const done = g.lines.filter((l) => l.state === 'done').length;
        const waived = g.lines.filter((l) => l.state === 'waived').length;
        const shown = openOnly ? g.lines.filter((l) => l.state === 'open') : g.lines;
        const late = g.lines.some((l) => l.overdue);
        return (
          <details key={g.role} class={`role-group card${late ? ' role-group--late' : ''}`} open data-role={g.role}>
            <summary>
              <span class="role-name">{g.role === 'other' ? '–' : known(t, 'rolecode', g.role)}</span>
              <span class="role-count">
                {t('checklist.role.summary', { done, total: g.lines.length - waived })}
                {waived > 0 && t('checklist.role.waived', { n: waived })}
              </span>
            </summary>
            {shown.length === 0 ? (
              <p class="empty">{t('checklist.allDone')}</p>
            ) : (
              <ul class="items">
                {shown.map((l) => (
                  <ItemLine key={l.item.id} line={l} busy={busy === l.item.id} error={errors[l.item.id]} onTick={() => tick(l)} t={t} />
                ))}
              </ul>
            )}
          </details>
        );
      })}
    </section>
  );
}

function ItemLine({ line, busy, error, onTick, t }: { line: ChecklistLine; busy: boolean; error?: string; onTick: () => void; t: Translate }) {
  const id = `item-${line.item.id}`;
  const cls = `item item--${line.state}${line.overdue ? ' item--late' : ''}`;
  return (
    <li class={cls} data-item={line.item.id} data-state={line.state}>
      <input
        type="checkbox"
        id={id}
        checked={line.state !== 'open' || busy}
        disabled={line.state !== 'open'}
        aria-busy={busy ? 'true' : undefined}
        aria-describedby={`${id}-meta${error ? ` ${id}-error` : ''}`}
        onChange={onTick}
      />
      <label for={id}>{line.item.text}</label>
      <span class="item-meta" id={`${id}-meta`}>
        {line.state === 'done' && (line.doneOn ? t('checklist.done', { date: line.doneOn }) : t('checklist.doneUnknown'))}
        {line.state === 'waived' && t('checklist.waived')}
        {line.note && ` – ${line.note}`}
        {line.state === 'open' && line.due && (line.overdue ? t('checklist.overdue', { date: line.due }) : t('checklist.due', { date: line.due }))}
      </span>
      {error && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

function list(t: Translate, values: Iterable<string | number>): string {
  const a = [...values].map(String).sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
  return a.length ? a.join(', ') : t('record.noneYet');
}

function RecordForms({ s, facts, record }: { s: Status; facts: Attendance; record: Recorder }) {
  const { t } = useI18n();
  const day = today();
  const date = (name: string, label: string, initial = day): FieldDef => ({ name, label, type: 'date', initial, required: true });
  const nextModule = [1, 2, 3, 4, 5, 6, 7, 8].find((n) => !facts.modules.has(n)) ?? 1;
  const nextSession = Math.min(10, facts.sessions.size + 1);
  const num = (v: string) => Number(v);

  const forms: { id: string; legend: string; fields: FieldDef[]; build: (v: { [k: string]: string }) => { [k: string]: unknown }; note?: string }[] = [
    {
      id: 'record-started',
      legend: t('record.started'),
      fields: [date('/on', t('record.on'), s.start <= day ? s.start : day)],
      build: (v) => ({ kind: 'started', on: v['/on'] }),
    },
    {
      id: 'record-course-booked',
      legend: t('record.courseBooked'),
      fields: [date('/starts', t('record.starts'), ''), { name: '/cohort', label: t('record.cohort'), type: 'text' }],
      build: (v) => ({ kind: 'course-booked', starts: v['/starts'], ...(v['/cohort'] ? { cohort: v['/cohort'] } : {}) }),
    },
    {
      id: 'record-module',
      legend: t('record.module'),
      note: t('record.modulesDone', { list: list(t, facts.modules.keys()) }),
      fields: [
        {
          name: '/number',
          label: t('record.moduleNumber'),
          type: 'select',
          initial: String(nextModule),
          options: [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ value: String(n), label: String(n) })),
        },
        date('/on', t('record.on')),
      ],
      build: (v) => ({ kind: 'module', number: num(v['/number']), on: v['/on'] }),
    },
    {
      id: 'record-bbic',
      legend: t('record.bbic'),
      note: t('record.bbicDone', { list: list(t, facts.bbic.keys()) }),
      fields: [
        {
          name: '/part',
          label: t('record.bbicPart'),
          type: 'select',
          initial: ['A', 'B', 'C', 'D'].find((p) => !facts.bbic.has(p)) ?? 'A',
          options: ['A', 'B', 'C', 'D'].map((p) => ({ value: p, label: p })),
        },
        date('/on', t('record.on')),
      ],
      build: (v) => ({ kind: 'bbic', part: v['/part'], on: v['/on'] }),
    },
    {
      id: 'record-group',
      legend: t('record.group'),
      fields: [
        { name: '/group', label: t('record.groupName'), type: 'text', required: true },
        { name: '/supervisor', label: t('record.supervisor'), type: 'text', required: true },
        date('/starts', t('record.starts'), ''),
      ],
      build: (v) => ({ kind: 'supervision-group', group: v['/group'], supervisor: v['/supervisor'], starts: v['/starts'] }),
    },
    {
      id: 'record-session',
      legend: t('record.session'),
      note: t('record.sessionsDone', { list: list(t, facts.sessions.keys()) }),
      fields: [
        { name: '/number', label: t('record.sessionNumber'), type: 'number', initial: String(nextSession), min: '1', max: '1000', step: '1', required: true },
        date('/on', t('record.on')),
        { name: '/hours', label: t('record.sessionHours'), type: 'number', initial: '2', min: '0', max: '24', step: '0.5' },
      ],
      build: (v) => ({ kind: 'session', number: num(v['/number']), on: v['/on'], ...(v['/hours'] ? { hours: num(v['/hours']) } : {}) }),
    },
    {
      id: 'record-leave-start',
      legend: t('record.leaveStart'),
      fields: [
        {
          name: '/leave_kind',
          label: t('record.leaveKind'),
          type: 'select',
          initial: 'parental',
          options: ['parental', 'sick', 'other'].map((k) => ({ value: k, label: t(`record.leave.${k}` as 'record.leave.other') })),
        },
        date('/from', t('record.from')),
      ],
      // The command's own "kind" field is taken by the command type, so the
      // kind of leave travels as "leave_kind".
      build: (v) => ({ kind: 'leave-start', leave_kind: v['/leave_kind'], from: v['/from'] }),
    },
    {
      id: 'record-leave-end',
      legend: t('record.leaveEnd'),
      fields: [date('/back', t('record.back'))],
      build: (v) => ({ kind: 'leave-end', back: v['/back'] }),
    },
  ];

  return (
    <>
      {forms.map((f) => (
        <RecordForm
          key={f.id}
          id={f.id}
          legend={f.legend}
          note={f.note}
          fields={f.fields}
          onSubmit={(v, controls) => record(f.build(v), controls, f.legend)}
        />
      ))}
    </>
  );
}

function Hours({ s, record }: { s: Status; record: Recorder }) {
  const { t } = useI18n();
  const weeks = s.weeks ?? [];
  const fmt = (n: number) => String(Math.round(n * 10) / 10);
  return (
    <section class="hours card" aria-labelledby="hours-title">
      <h2 id="hours-title">{t('hours.title')}</h2>
      <p class={s.hours.balance < 0 ? 'overdue' : 'ok'} data-hours-balance={s.hours.balance}>
        {t('hours.summary', { owed: fmt(s.hours.owed), logged: fmt(s.hours.logged), balance: fmt(s.hours.balance) })}
      </p>
      {weeks.length ? (
        <>
          <HoursChart weeks={weeks} />
          <HoursTable weeks={weeks} />
        </>
      ) : (
        <p class="empty">{t('hours.none')}</p>
      )}
      <RecordForm
        id="record-hours"
        legend={t('hours.log')}
        submitLabel={t('hours.log')}
        fields={[
          { name: '/week', label: t('hours.weekOf'), type: 'date', initial: today(), required: true },
          { name: '/hours', label: t('hours.hours'), type: 'number', initial: '4', min: '0', max: '168', step: '0.5', required: true },
        ]}
        onSubmit={(v, controls) => record({ kind: 'hours', hours: Number(v['/hours']), week: v['/week'] }, controls, t('hours.log'))}
      />
    </section>
  );
}

