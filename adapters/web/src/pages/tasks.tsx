// "My tasks": the signed-in person's open checklist items across every hire
// (GET /v1/tasks?mine=1, earliest due first), ticked off in place.
import { useState } from 'preact/hooks';
import { newIdempotencyKey, type Task } from '../api';
import { handleUnauthorized, Loaded, useLoad } from '../components/load';
import { DoneDateField, formErrors, PageTitle, useSession } from '../components/ui';
import { today } from '../dates';
import { useI18n } from '../i18n';

export function TasksPage() {
  const { api, announce } = useSession();
  const { t } = useI18n();
  const [tasks, reload, setTasks] = useLoad(async () => (await api.tasks({ mine: true })).data, [api]);
  const [on, setOn] = useState(today());
  const [busy, setBusy] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [dateError, setDateError] = useState<string | undefined>();

  const keyOf = (task: Task) => `${task.hire}/${task.item}`;

  const tick = async (task: Task, list: Task[]) => {
    if (busy) return;
    const key = keyOf(task);
    setBusy(key);
    setDateError(undefined);
    try {
      await api.record(task.hire, { kind: 'item', item: task.item, on }, { idempotencyKey: newIdempotencyKey() });
      const index = list.findIndex((x) => keyOf(x) === key);
      setTasks(list.filter((x) => keyOf(x) !== key));
      // The ticked row is gone: keep the keyboard where it was.
      window.setTimeout(() => {
        const rows = document.querySelectorAll<HTMLInputElement>('.task-list input[type=checkbox]');
        (rows[Math.min(index, rows.length - 1)] ?? document.querySelector<HTMLElement>('h1'))?.focus();
      }, 0);
      setErrors({ ...errors, [key]: '' });
      announce(t('tasks.done', { text: task.text, hire: task.hire_name }));
    } catch (e) {
      if (handleUnauthorized(e)) return;
      const fe = formErrors(t, e, ['/on']);
      if (fe.byName['/on']) setDateError(fe.byName['/on']);
      else setErrors({ ...errors, [key]: fe.general ?? '' });
    } finally {
      setBusy(null);
    }
  };

  return (
    <section>
      <PageTitle>{t('tasks.title')}</PageTitle>
      <p class="lead">{t('tasks.intro')}</p>
      <div class="checklist-tools card">
        <DoneDateField id="tasks-date" on={on} setOn={setOn} error={dateError} />
      </div>
      <Loaded load={tasks} retry={reload}>
        {(list) =>
          list.length === 0 ? (
            <p class="empty card" data-empty>
              {t('tasks.none')}
            </p>
          ) : (
            <>
              <p class="count" data-count={list.length}>
                {t('tasks.count', { n: list.length })}
              </p>
              <ul class="task-list">
                {list.map((task) => {
                  const key = keyOf(task);
                  const id = `task-${task.hire}-${task.item}`;
                  return (
                    <li key={key} class={`task card${task.overdue ? ' task--late' : ''}`} data-task={task.item} data-hire={task.hire}>
                      <input
                        type="checkbox"
                        id={id}
                        checked={busy === key}
                        aria-busy={busy === key ? 'true' : undefined}
                        aria-describedby={`${id}-meta${errors[key] ? ` ${id}-error` : ''}`}
                        onChange={() => void tick(task, list)}
                      />
                      <label for={id}>{task.text}</label>
                      <span class="task-meta" id={`${id}-meta`}>
                        <span>
                          <span class="label">{t('tasks.hire')}:</span> {task.hire_name} ({task.unit})
                        </span>
                        <span class={task.overdue ? 'overdue' : ''}>
                          <span class="label">{t('tasks.due')}:</span> <time dateTime={task.due}>{task.due}</time>
                          {task.overdue && <span class="tag tag--late"> {t('hire.deadline.overdue')}</span>}
                        </span>
                      </span>
                      {errors[key] && (
                        <p class="field-error" id={`${id}-error`} role="alert">
                          {errors[key]}
                        </p>
                      )}
                    </li>
                  );
                })}
              </ul>
            </>
          )
        }
      </Loaded>
    </section>
  );
}
