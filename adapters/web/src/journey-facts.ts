// What the hire's status JSON does not say yet, read from the hire's history:
// each checklist item's state and done date, the course modules and BBIC parts
// attended, the supervision sessions. The history's `details` are the engine's
// Swedish one-line descriptions (workflows/events.cc describe()); this parser
// follows them. It is a stop-gap until GET /v1/hires/{id} lists `items`
// (id, role, part, state, done_on, due, overdue) and the course and supervision
// attendance; the report that came with this code names the fields.
import type { HistoryEntry, ProgrammeItem, Status, Task } from './api';

export interface JourneyFacts {
  itemsDone: Map<string, string>; // item id -> done date
  itemsWaived: Set<string>;
  modules: Map<number, string>;
  bbic: Map<string, string>;
  sessions: Map<number, string>;
}

const DAY = '(\\d{4}-\\d{2}-\\d{2})';

export function factsFromHistory(history: HistoryEntry[]): JourneyFacts {
  const f: JourneyFacts = {
    itemsDone: new Map(),
    itemsWaived: new Set(),
    modules: new Map(),
    bbic: new Map(),
    sessions: new Map(),
  };
  for (const e of history) {
    let m: RegExpExecArray | null;
    switch (e.type) {
      case 'ChecklistItemCompleted':
        if ((m = new RegExp(`^(\\S+) klart ${DAY}`).exec(e.details))) f.itemsDone.set(m[1], m[2]);
        break;
      case 'ChecklistItemWaived':
        if ((m = /^(\S+) EJ/.exec(e.details))) f.itemsWaived.add(m[1]);
        break;
      case 'CourseModuleAttended':
        if ((m = new RegExp(`^modul (\\d+) ${DAY}`).exec(e.details))) f.modules.set(Number(m[1]), m[2]);
        break;
      case 'BbicPartCompleted':
        if ((m = new RegExp(`^BBIC del (\\S+) ${DAY}`).exec(e.details))) f.bbic.set(m[1], m[2]);
        break;
      case 'SupervisionSessionAttended':
        if ((m = new RegExp(`^träff (\\d+) ${DAY}`).exec(e.details))) f.sessions.set(Number(m[1]), m[2]);
        break;
    }
  }
  return f;
}

export type ItemState = 'open' | 'done' | 'waived';

export interface ChecklistLine {
  item: ProgrammeItem;
  state: ItemState;
  doneOn?: string;
  due?: string;
  overdue: boolean;
}

// Every item of the hire's programme with its state: done and waived from the
// history, due dates from the open tasks and the status's overdue list.
export function checklist(
  items: ProgrammeItem[],
  status: Status,
  facts: JourneyFacts,
  openTasks: Task[],
): ChecklistLine[] {
  const tasks = new Map(openTasks.filter((t) => t.hire === status.hire).map((t) => [t.item, t]));
  const overdue = new Map(status.overdue.filter((o) => o.role).map((o) => [o.id, o]));
  return items.map((item) => {
    const done = facts.itemsDone.get(item.id);
    if (done) return { item, state: 'done', doneOn: done, overdue: false };
    if (facts.itemsWaived.has(item.id) || (status.experienced && item.waived_if_experienced))
      return { item, state: 'waived', overdue: false };
    const task = tasks.get(item.id);
    const late = overdue.get(item.id);
    return {
      item,
      state: 'open',
      due: task?.due ?? late?.due,
      overdue: Boolean(late) || Boolean(task?.overdue),
    };
  });
}

export const ROLE_ORDER = ['EC', '1:e', 'FA', 'AD', 'SJ'];
