// The unit head's overview: every hire in my units, a progress bar per
// programme part, the next deadline, and what is overdue in red. A damaged
// hire (its history cannot be read) is listed, marked, with the reason.
import { useState } from 'preact/hooks';
import type { HireSummary, Status } from '../api';
import { Loaded, useLoad } from '../components/load';
import { Field, noErrors, PageTitle, ProgressBar, UnitOptions, useSession } from '../components/ui';
import { noteServerToday } from '../dates';
import { known, useI18n } from '../i18n';
import { href } from '../router';

interface Row {
  summary: HireSummary;
  status?: Status;
}

// GET /v1/hires has no parts; each hire's status is asked for, a few at a time.
async function mapLimited<T, R>(items: T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function HiresPage() {
  const { api, me } = useSession();
  const { t } = useI18n();
  const [unit, setUnit] = useState('');
  const [overdueOnly, setOverdueOnly] = useState(false);

  const [units] = useLoad(async () => {
    if (me.role !== 'admin') return me.units;
    return (await api.units()).data.map((u) => u.unit);
  }, [api, me]);

  const [rows, reload] = useLoad(async () => {
    const list = (await api.hires({ unit: unit || undefined, overdue: overdueOnly })).data;
    // A damaged hire first: it needs someone to repair it.
    list.sort((a, b) => Number(Boolean(b.damaged)) - Number(Boolean(a.damaged)) || b.overdue - a.overdue || a.start.localeCompare(b.start) || a.name.localeCompare(b.name));
    return mapLimited(list, 4, async (summary): Promise<Row> => {
      // A damaged hire has no status (it answers 409 hire_damaged): nothing to ask.
      if (summary.damaged) return { summary };
      try {
        const s = (await api.status(summary.hire)).data;
        noteServerToday(s.as_of);
        return { summary, status: s };
      } catch {
        return { summary };
      }
    });
  }, [api, unit, overdueOnly]);

  const unitList = units.state === 'ok' ? units.data : [];

  return (
    <section>
      <div class="page-head">
        <PageTitle>{me.role === 'admin' ? t('hires.all') : t('hires.title')}</PageTitle>
        <a class="button button--primary" href={href({ page: 'register' })}>
          {t('hires.register')}
        </a>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('hires.filter')}>
        <Field label={t('hires.unit')} name="unit" errors={noErrors}>
          {(p) => (
            <select {...p} value={unit} onChange={(e) => setUnit((e.target as HTMLSelectElement).value)}>
              <option value="">{t('hires.unit.all')}</option>
              <UnitOptions units={unitList} />
            </select>
          )}
        </Field>
        <div class="field field--check">
          <input
            type="checkbox"
            id="overdue-only"
            checked={overdueOnly}
            onChange={(e) => setOverdueOnly((e.target as HTMLInputElement).checked)}
          />
          <label for="overdue-only">{t('hires.overdueOnly')}</label>
        </div>
      </form>
      <Loaded load={rows} retry={reload}>
        {(list) =>
          list.length === 0 ? (
            <p class="empty">{t('hires.none')}</p>
          ) : (
            <>
              <p class="count">{t('hires.count', { n: list.length })}</p>
              <ul class="hire-list">
                {list.map((r) => (
                  <HireCard key={r.summary.hire} row={r} />
                ))}
              </ul>
            </>
          )
        }
      </Loaded>
    </section>
  );
}

function HireCard({ row }: { row: Row }) {
  const { t } = useI18n();
  const { summary, status } = row;
  if (summary.damaged) return <DamagedCard summary={summary} />;
  const next = status?.next_deadline;
  const late = summary.overdue > 0;
  return (
    <li class={`hire-card card${late ? ' hire-card--late' : ''}`} data-hire={summary.hire}>
      <div class="hire-card-head">
        <h2>
          <a href={href({ page: 'hire', hire: summary.hire })}>{summary.name}</a>
        </h2>
        <span class="badge">{known(t, 'state', summary.lifecycle)}</span>
      </div>
      <p class="meta">
        {summary.unit} · {t('hires.start')} {summary.start}
      </p>
      {status?.parts && status.parts.length > 0 && (
        <div class="parts">
          {status.parts.map((p) => (
            <ProgressBar key={p.part} label={known(t, 'part', p.part)} done={p.done} total={p.total} />
          ))}
        </div>
      )}
      <p class={`next${next && next.due < (status?.as_of ?? '') ? ' overdue' : ''}`}>
        {next ? (
          <>
            <span class="label">{t('hires.next')}:</span> {next.title}, <time dateTime={next.due}>{next.due}</time>
          </>
        ) : summary.next_deadline ? (
          <>
            <span class="label">{t('hires.next')}:</span> {summary.next_deadline.id}, {summary.next_deadline.due}
          </>
        ) : null}
      </p>
      <p class={late ? 'overdue' : 'ok'} data-overdue={summary.overdue}>
        {late ? t('hires.overdue', { n: summary.overdue }) : t('hires.noOverdue')}
      </p>
    </li>
  );
}

// No parts, no start, no deadlines: only who, where, and why it cannot be read.
function DamagedCard({ summary }: { summary: HireSummary }) {
  const { t } = useI18n();
  return (
    <li class="hire-card card hire-card--damaged" data-hire={summary.hire} data-damaged>
      <div class="hire-card-head">
        <h2>
          <a href={href({ page: 'hire', hire: summary.hire })}>{summary.name || summary.hire}</a>
        </h2>
        <span class="badge badge--damaged" data-lifecycle="Damaged">
          {known(t, 'state', 'Damaged')}
        </span>
      </div>
      <p class="meta">{summary.unit}</p>
      <p class="overdue damage" data-damage>
        {t('hires.damage', { reason: summary.damage ?? '' })}
      </p>
    </li>
  );
}
