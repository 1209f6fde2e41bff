// Corrections and retractions as the history shows them (GET /v1/hires/{id}/history)
// and as POST /v1/hires/{id}/corrections takes them. A recorded fact is never
// edited: a correction is a new record with the fact as it should have been,
// a retraction a new record that strikes it; both name the fact's stream
// version and say why. This module knows which fields of each kind of fact
// can be corrected, what a fact says now (its newest correction), what each
// correction changed, and which roles may correct what (the server stays the
// judge: its 403 is shown).
import type { FactFields, HistoryEntry, Principal } from './api';
import type { FieldDef } from './components/record-form';
import { known, type Key, type Translate } from './i18n';

export const CORRECTION_TYPES = ['EventCorrected', 'EventRetracted'];
export const NOTIFICATION_TYPES = ['NotificationDecided', 'DeliveryAttempted'];

export function isCorrection(h: HistoryEntry): boolean {
  return CORRECTION_TYPES.includes(h.type);
}

// A fact of the journey: what was recorded about the hire (the registration,
// an item done, a module ...), readable or not; not a correction, not a reminder.
export function isFact(h: HistoryEntry): boolean {
  return !isCorrection(h) && !NOTIFICATION_TYPES.includes(h.type);
}

export function isRegistration(h: HistoryEntry): boolean {
  return h.type === 'HireRegistered';
}

interface Spec {
  key: string; // the field's name in the command body ("on", "comment")
  type: FieldDef['type'];
  options?: 'items' | 'modules' | 'bbic' | 'leave' | 'parts';
  min?: string;
  max?: string;
  step?: string;
}

const date = (key: string): Spec => ({ key, type: 'date' });
const text = (key: string): Spec => ({ key, type: 'text' });
const email: Spec = { key: 'email', type: 'email' };

// The fields a correction may change, per kind (the command's `kind`; the
// registration only its name, e-mail and first working day).
const EDITABLE: Record<string, Spec[]> = {
  registration: [text('name'), email, date('start')],
  started: [date('on')],
  item: [{ key: 'item', type: 'select', options: 'items' }, date('on'), text('comment')],
  waive: [{ key: 'item', type: 'select', options: 'items' }, text('reason')],
  introducer: [text('name'), email, date('from')],
  mentor: [text('name'), email],
  replacement: [text('name'), email],
  'mentor-dropout': [date('on'), text('reason')],
  'course-booked': [date('starts'), text('cohort')],
  module: [{ key: 'number', type: 'select', options: 'modules' }, date('on')],
  bbic: [{ key: 'part', type: 'select', options: 'bbic' }, date('on')],
  'course-completed': [date('on'), text('certificate')],
  'waive-part': [{ key: 'part', type: 'select', options: 'parts' }, text('reason')],
  'supervision-group': [text('group'), text('supervisor'), date('starts')],
  session: [{ key: 'number', type: 'number', min: '1', max: '1000', step: '1' }, date('on'), { key: 'hours', type: 'number', min: '0', max: '24', step: '0.5' }],
  'supervision-completed': [date('on'), text('certificate')],
  hours: [{ key: 'hours', type: 'number', min: '0', max: '168', step: '0.5' }, date('week')],
  'leave-start': [{ key: 'leave_kind', type: 'select', options: 'leave' }, date('from')],
  'leave-end': [date('back')],
  left: [date('on'), text('reason')],
  completed: [date('on')],
};

// The kind of a fact when its record cannot be read (a damaged hire's
// history has no `event` then): only the registration can be corrected so.
const KIND_OF_TYPE: Record<string, string> = { HireRegistered: 'registration' };

export function kindOf(h: HistoryEntry): string | undefined {
  return h.event?.kind ?? KIND_OF_TYPE[h.type];
}

export function fieldLabel(t: Translate, key: string): string {
  return known(t, 'field', key);
}

function shown(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return typeof o.name === 'string' ? o.name : JSON.stringify(v);
  }
  return String(v);
}

export interface Choices {
  items: { id: string; text: string }[];
}

// The form for correcting a fact: its editable fields, each prefilled with
// what the fact says now. Control names are the API's JSON pointers
// ("/replacement/on"), so a refusal naming a field lands beside it.
export function correctionFields(t: Translate, kind: string, current: FactFields | undefined, choices: Choices): FieldDef[] {
  return (EDITABLE[kind] ?? []).map((s) => {
    const initial = shown(current?.[s.key]);
    let options: { value: string; label: string }[] | undefined;
    switch (s.options) {
      case 'items':
        options = choices.items.map((i) => ({ value: i.id, label: i.text }));
        break;
      case 'modules':
        options = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ value: String(n), label: String(n) }));
        break;
      case 'bbic':
        options = ['A', 'B', 'C', 'D'].map((p) => ({ value: p, label: p }));
        break;
      case 'leave':
        options = ['parental', 'sick', 'other'].map((k) => ({ value: k, label: t(`record.leave.${k}` as Key) }));
        break;
      case 'parts':
        options = ['course', 'supervision'].map((p) => ({ value: p, label: known(t, 'part', p) }));
        break;
    }
    // What the fact says is always one of the choices, even one the lists do not know.
    if (options && initial && !options.some((o) => o.value === initial)) options = [{ value: initial, label: initial }, ...options];
    if (options && !initial) options = [{ value: '', label: t('hire.none') }, ...options];
    return { name: `/replacement/${s.key}`, label: fieldLabel(t, s.key), type: s.type, options, initial, min: s.min, max: s.max, step: s.step };
  });
}

// Only what the user changed, typed as the command body has it.
export function replacementOf(fields: FieldDef[], values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name] ?? '';
    if (v === (f.initial ?? '')) continue;
    const key = f.name.replace(/^\/replacement\//, '');
    const numeric = f.type === 'number' || key === 'number';
    out[key] = numeric ? (v === '' ? null : Number(v)) : v;
  }
  return out;
}

// What a fact says now: its newest correction's replacement, else as recorded.
export function currentFact(h: HistoryEntry, byVersion: Map<number, HistoryEntry>): FactFields | undefined {
  if (h.corrected_by) return byVersion.get(h.corrected_by)?.replacement ?? h.event;
  return h.event;
}

export interface Change {
  key: string;
  from: string;
  to: string;
}

// For each correction (by its version), the fields it changed compared with
// what the fact said just before it.
export function correctionChanges(history: HistoryEntry[]): Map<number, Change[]> {
  const facts = new Map<number, FactFields | undefined>();
  const out = new Map<number, Change[]>();
  for (const h of [...history].sort((a, b) => a.position - b.position)) {
    if (isFact(h)) facts.set(h.version, h.event);
    if (h.type !== 'EventCorrected' || h.corrects === undefined || !h.replacement) continue;
    const before = facts.get(h.corrects);
    const changes: Change[] = [];
    for (const [key, value] of Object.entries(h.replacement)) {
      if (key === 'kind') continue;
      const from = shown(before?.[key]);
      const to = shown(value);
      if (from !== to) changes.push({ key, from, to });
    }
    out.set(h.version, changes);
    facts.set(h.corrects, h.replacement);
  }
  return out;
}

// The history's Swedish one-line description of a fact, without the
// " — rättad i händelse N" / " — struken i händelse N" the page shows as a mark.
export function factDetails(h: HistoryEntry): string {
  return h.details.replace(/ — (rättad|struken) i händelse \d+$/, '');
}

// The title of a record: the fact's kind, "Rättelse", "Strykning".
export function recordTitle(t: Translate, h: HistoryEntry | undefined, type?: string): string {
  return known(t, 'event', h?.type ?? type ?? '');
}

export interface Allowed {
  correct: boolean;
  retract: boolean;
}

// Whether the signed-in role may correct or retract a fact, as the server
// decides it: whoever may record the fact (a unit head anything of her units,
// an administrator the AD items, an introducer the FA items and the hours) and
// admins; an unreadable record only admins may strike; the registration is
// corrected, never retracted. `itemRole` gives a checklist item's role code.
export function allowed(me: Principal, h: HistoryEntry, itemRole: (item: string) => string | undefined): Allowed {
  const none = { correct: false, retract: false };
  if (!isFact(h) || h.retracted_by) return none;
  if (me.role === 'auditor') return none;
  const registration = isRegistration(h);
  const readable = Boolean(h.event) && !h.damage;
  if (!readable) {
    // A damaged registration can still be corrected (name, e-mail, start).
    if (registration) return { correct: me.role === 'admin' || me.role === 'unit_head', retract: false };
    return { correct: false, retract: me.role === 'admin' };
  }
  let may = false;
  if (me.role === 'admin' || me.role === 'unit_head') may = true;
  else {
    const kind = h.event!.kind;
    const item = typeof h.event!.item === 'string' ? h.event!.item : '';
    const role = item ? itemRole(item) : undefined;
    if (me.role === 'administrator') may = (kind === 'item' || kind === 'waive') && role === 'AD';
    if (me.role === 'introducer') may = ((kind === 'item' || kind === 'waive') && role === 'FA') || kind === 'hours';
  }
  return { correct: may && Boolean(EDITABLE[h.event!.kind]?.length), retract: may && !registration };
}

// The name a damaged hire goes by: its registration as it stands, if readable.
export function nameFromHistory(history: HistoryEntry[]): string | undefined {
  const reg = history.find((h) => isRegistration(h));
  if (!reg) return undefined;
  const byVersion = new Map(history.map((h) => [h.version, h]));
  const name = currentFact(reg, byVersion)?.name;
  return typeof name === 'string' ? name : undefined;
}

// A damaged hire has no status and so no ETag: its stream version is the
// newest record's version (the history lists every record of the stream).
export function etagOfHistory(history: HistoryEntry[]): string | undefined {
  if (!history.length) return undefined;
  return `"${Math.max(...history.map((h) => h.version))}"`;
}
