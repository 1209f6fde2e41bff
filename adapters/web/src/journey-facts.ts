// The hire's checklist and attendance as GET /v1/hires/{id} states them, with
// every correction and retraction applied: each item's state, done date and due
// date from the status's `items`, the course modules, BBIC parts and
// supervision sessions from `modules`, `bbic` and `sessions`. The programme
// version gives every item with its part and order; the status lists waived
// (EJ) items with state 'waived' (an item it does not list shows as EJ too).
import type { ProgrammeItem, Status, StatusItem } from './api';

export interface Attendance {
  modules: Map<number, string>; // module number -> attended on
  bbic: Map<string, string>; // part -> completed on
  sessions: Map<number, string>; // session number -> attended on
}

export function attendance(status: Status): Attendance {
  return {
    modules: new Map((status.modules ?? []).map((m) => [m.number, m.on])),
    bbic: new Map((status.bbic ?? []).map((b) => [b.part, b.on])),
    sessions: new Map((status.sessions ?? []).map((s) => [s.number, s.on])),
  };
}

export type ItemState = 'open' | 'done' | 'waived';

export interface ChecklistLine {
  item: ProgrammeItem;
  state: ItemState;
  doneOn?: string;
  due?: string;
  overdue: boolean;
  note?: string;
}

function line(item: ProgrammeItem, s: StatusItem | undefined): ChecklistLine {
  if (!s) return { item, state: 'waived', overdue: false };
  if (s.state === 'done') return { item, state: 'done', doneOn: s.done_on, overdue: false, note: s.note };
  if (s.state === 'waived') return { item, state: 'waived', overdue: false, note: s.note };
  return { item, state: 'open', due: s.due, overdue: s.overdue, note: s.note };
}

// Every item of the hire's programme with its state from the status.
export function checklist(items: ProgrammeItem[], status: Status): ChecklistLine[] {
  const byId = new Map((status.items ?? []).map((i) => [i.id, i]));
  const lines = items.map((item) => line(item, byId.get(item.id)));
  // An item the status lists that the programme version does not (it should
  // not happen) still shows, in its role's group.
  const known = new Set(items.map((i) => i.id));
  for (const s of status.items ?? []) {
    if (known.has(s.id)) continue;
    const item: ProgrammeItem = { id: s.id, text: s.text, checklist: s.checklist, part: '', role: s.role, due: '', waived_if_experienced: false };
    lines.push(line(item, s));
  }
  return lines;
}

export const ROLE_ORDER = ['EC', '1:e', 'FA', 'AD', 'SJ'];
