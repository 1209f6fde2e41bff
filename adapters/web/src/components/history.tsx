// A hire's recorded events as the hire page and the auditor's timeline show
// them: a fact corrected or retracted is struck through and says by which
// record; a correction says what it changed in which event, and why; an
// unreadable record of a damaged hire says what is wrong with it. On the hire
// page each fact the role may correct has "Rätta" and "Stryk".
import { useState } from 'preact/hooks';
import type { CorrectionBody, HistoryEntry, Principal } from '../api';
import {
  allowed,
  correctionChanges,
  correctionFields,
  currentFact,
  factDetails,
  fieldLabel,
  isCorrection,
  isFact,
  kindOf,
  recordTitle,
  replacementOf,
  type Change,
  type Choices,
} from '../corrections';
import { dateTime } from '../dates';
import { useI18n } from '../i18n';
import { CorrectionForm } from './correction-form';
import type { FormErrors } from './ui';

// What a row shows of a fact or a correction record.
export function RecordBody({ h, byVersion, changes }: { h: HistoryEntry; byVersion: Map<number, HistoryEntry>; changes: Map<number, Change[]> }) {
  const { t } = useI18n();
  if (isCorrection(h)) {
    const target = h.corrects ?? h.retracts ?? 0;
    const title = recordTitle(t, byVersion.get(target));
    const changed = changes.get(h.version) ?? [];
    return (
      <div class="correction" data-corrects={h.corrects} data-retracts={h.retracts}>
        <p class="event-details">
          {h.corrects !== undefined ? t('history.corrects', { n: target, title }) : t('history.retracts', { n: target, title })}
        </p>
        {changed.length > 0 && (
          <ul class="changes" aria-label={t('history.changes')}>
            {changed.map((c) => (
              <li key={c.key} data-change={c.key}>
                <span class="label">{fieldLabel(t, c.key)}:</span> <span class="was">{c.from || t('hire.none')}</span> →{' '}
                <span class="now">{c.to || t('hire.none')}</span>
              </li>
            ))}
          </ul>
        )}
        <p class="reason" data-reason>
          <span class="label">{t('history.reason')}:</span> {h.reason}
        </p>
      </div>
    );
  }
  const struck = Boolean(h.retracted_by || h.corrected_by);
  const text = factDetails(h);
  return (
    <>
      <p class="event-details">
        {struck ? <s>{text}</s> : text}{' '}
        {h.retracted_by !== undefined && (
          <span class="tag tag--late" data-mark="retracted">
            {t('history.retractedBy', { n: h.retracted_by })}
          </span>
        )}
        {h.corrected_by !== undefined && (
          <span class="tag tag--warn" data-mark="corrected">
            {t('history.correctedBy', { n: h.corrected_by })}
          </span>
        )}
        {h.damage && (
          <span class="tag tag--late" data-mark="damaged">
            {t('history.unreadable')}
          </span>
        )}
      </p>
      {h.damage && (
        <p class="damage" data-damage>
          {t('history.damage', { damage: h.damage })}
        </p>
      )}
    </>
  );
}

// When a record was recorded, when it took effect and who recorded it (the
// auditor's timeline adds its hash), shared by the hire page and the timeline.
export function EventMeta({ h, effective, hash = false }: { h: HistoryEntry; effective: boolean; hash?: boolean }) {
  const { t, lang } = useI18n();
  return (
    <dl class="event-meta">
      <div>
        <dt>{t('timeline.recorded')}</dt>
        <dd>
          <time dateTime={h.recorded_at}>{dateTime(h.recorded_at, lang)}</time>
        </dd>
      </div>
      {effective && (
        <div>
          <dt>{t('timeline.effective')}</dt>
          <dd>
            <time dateTime={h.effective_at}>{h.effective_at}</time>
          </dd>
        </div>
      )}
      <div>
        <dt>{t('timeline.actor')}</dt>
        <dd class="actor">{h.actor}</dd>
      </div>
      {hash && (
        <div>
          <dt>{t('timeline.hash')}</dt>
          <dd>
            <code class="hash" title={h.hash}>
              {h.hash.slice(0, 16)}…
            </code>
          </dd>
        </div>
      )}
    </dl>
  );
}

export function recordState(h: HistoryEntry): string {
  if (h.damage) return 'damaged';
  if (h.retracted_by) return 'retracted';
  if (h.corrected_by) return 'corrected';
  if (isCorrection(h)) return h.corrects !== undefined ? 'correction' : 'retraction';
  return 'standing';
}

export function useHistoryIndex(history: HistoryEntry[]) {
  const byVersion = new Map(history.map((h) => [h.version, h]));
  return { byVersion, changes: correctionChanges(history) };
}

export type CorrectionSender = (body: CorrectionBody, controls: string[], what: string) => Promise<FormErrors | null>;

// The hire page's history: the journey's records, newest first, with "Rätta"
// and "Stryk" on each fact the signed-in role may correct.
export function HireHistory({
  history,
  me,
  choices,
  itemRole,
  send,
}: {
  history: HistoryEntry[];
  me: Principal;
  choices: Choices;
  itemRole: (item: string) => string | undefined;
  send: CorrectionSender;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState<{ version: number; mode: 'correct' | 'retract' } | null>(null);
  const { byVersion, changes } = useHistoryIndex(history);
  const rows = history.filter((h) => isFact(h) || isCorrection(h)).sort((a, b) => b.position - a.position);

  const focusLater = (id: string) => window.setTimeout(() => document.getElementById(id)?.focus(), 0);
  const close = (version: number, mode: 'correct' | 'retract') => {
    setOpen(null);
    focusLater(`${mode}-${version}`);
  };

  return (
    <section class="history" aria-labelledby="history-title" data-history>
      <h2 id="history-title" class="section-title">
        {t('history.title')} <span class="count">({t('timeline.count', { n: rows.length })})</span>
      </h2>
      <p class="hint">{t('history.intro')}</p>
      <ol class="event-list">
        {rows.map((h) => {
          const may = allowed(me, h, itemRole);
          const title = recordTitle(t, h);
          const kind = kindOf(h);
          const isOpen = open?.version === h.version ? open.mode : null;
          const fields = isOpen === 'correct' && kind ? correctionFields(t, kind, currentFact(h, byVersion), choices) : [];
          const submit = async (values: Record<string, string>, reason: string, controls: string[], mode: 'correct' | 'retract') => {
            const body: CorrectionBody =
              mode === 'correct'
                ? { action: 'correct', event: h.version, reason, replacement: replacementOf(fields, values) }
                : { action: 'retract', event: h.version, reason };
            const what = mode === 'correct' ? t('correct.saved', { n: h.version, title }) : t('retract.saved', { n: h.version, title });
            const r = await send(body, controls, what);
            if (!r) {
              setOpen(null);
              focusLater(`event-${h.version}`);
            }
            return r;
          };
          return (
            <li key={h.position} id={`event-${h.version}`} tabIndex={-1} class={`event card event--${recordState(h)}`} data-type={h.type} data-version={h.version} data-state={recordState(h)}>
              <div class="event-head">
                <strong class="event-type">{title}</strong>
                <span class="event-version">{t('history.version', { n: h.version })}</span>
              </div>
              <RecordBody h={h} byVersion={byVersion} changes={changes} />
              <EventMeta h={h} effective={isFact(h)} />
              {(may.correct || may.retract) && !isOpen && (
                <div class="actions event-actions">
                  {may.correct && (
                    <button type="button" id={`correct-${h.version}`} aria-label={t('history.correct.label', { n: h.version, title })} onClick={() => setOpen({ version: h.version, mode: 'correct' })}>
                      {t('history.correct')}
                    </button>
                  )}
                  {may.retract && (
                    <button type="button" id={`retract-${h.version}`} aria-label={t('history.retract.label', { n: h.version, title })} onClick={() => setOpen({ version: h.version, mode: 'retract' })}>
                      {t('history.retract')}
                    </button>
                  )}
                </div>
              )}
              {h.damage && !may.correct && !may.retract && isFact(h) && !h.retracted_by && me.role !== 'auditor' && <p class="hint">{t('history.adminOnly')}</p>}
              {isOpen === 'correct' && (
                <CorrectionForm
                  mode="correct"
                  version={h.version}
                  legend={t('correct.legend', { n: h.version, title })}
                  fields={fields}
                  onSubmit={(values, reason, controls) => submit(values, reason, controls, 'correct')}
                  onCancel={() => close(h.version, 'correct')}
                />
              )}
              {isOpen === 'retract' && (
                <CorrectionForm
                  mode="retract"
                  version={h.version}
                  legend={t('retract.legend', { n: h.version, title })}
                  fields={[]}
                  onSubmit={(values, reason, controls) => submit(values, reason, controls, 'retract')}
                  onCancel={() => close(h.version, 'retract')}
                />
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
