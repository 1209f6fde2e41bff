// The /v1 API as the browser uses it: bearer token, Accept-Language, ETag and
// If-Match, Idempotency-Key, and RFC 9457 problems turned into ApiError.
// Shapes follow adapters/http/openapi.json and what journeyd actually answers.
import type { Lang } from './i18n';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  field?: string; // JSON pointer of the wrong body field, e.g. "/email"
  parameter?: string; // query parameter, e.g. "as_of"
  header?: string; // request header, e.g. "If-Match"
  current_version?: number;
  damage?: string; // hire_damaged: why the hire's history cannot be read
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title);
  }
  // A resource one may not read answers 404 like one that does not exist; a
  // 404 naming a parameter (as_of before registration) is an input error instead.
  get forbidden(): boolean {
    return this.status === 403 || (this.status === 404 && !this.problem.parameter);
  }
}

export type Role = 'admin' | 'unit_head' | 'administrator' | 'introducer' | 'auditor';

export interface Principal {
  token_id: string;
  role: Role;
  name: string;
  email: string;
  municipality: string;
  units: string[];
  actor: string;
}

export interface Person {
  name: string;
  email?: string;
}

export interface HireSummary {
  hire: string;
  name: string;
  unit: string;
  start: string;
  lifecycle: string;
  overdue: number;
  next_deadline?: { id: string; due: string };
  // A hire whose stream cannot be read, decoded or replayed: lifecycle
  // "Damaged", start "", no parts, and `damage` says why.
  damaged?: boolean;
  damage?: string;
}

export interface PartProgress {
  part: string;
  state: string;
  done: number;
  total: number;
  finished: boolean;
}

export interface Deadline {
  id: string;
  title: string;
  nominal: string;
  due: string;
  met: boolean;
  overdue: boolean;
}

export interface OverdueEntry {
  id: string;
  text: string;
  role?: string; // absent for a deadline
  due: string;
}

// One checklist item of the hire, corrections applied; waived (EJ) items are
// listed too, with state 'waived'.
export interface StatusItem {
  id: string;
  text: string;
  checklist: string;
  role: string;
  due: string;
  state: 'open' | 'done' | 'waived';
  overdue: boolean;
  done_on?: string;
  note?: string;
}

export interface WeekHours {
  week: string; // ISO week, "2026-W37"
  owed: number;
  logged: number;
}

export interface Status {
  hire: string;
  name: string;
  email: string;
  unit: string;
  start: string;
  experienced: boolean;
  programme: { id: string; version: number };
  as_of: string;
  lifecycle: string;
  hours: { owed: number; logged: number; balance: number };
  leave_days: number;
  regions?: Record<string, string>;
  parts?: PartProgress[];
  roles?: { role: string; done: number; waived: number; total: number }[];
  deadlines?: Deadline[];
  next_deadline?: { id: string; title: string; due: string };
  overdue: OverdueEntry[];
  weeks?: WeekHours[];
  items: StatusItem[];
  modules: { number: number; on: string }[];
  bbic: { part: string; on: string }[];
  sessions: { number: number; on: string; hours: number }[];
  introducer?: Person;
  mentor?: Person;
  mentor_replacement?: Person;
}

export interface ProgrammeItem {
  id: string;
  text: string;
  checklist: string;
  part: string;
  role: string;
  due: string; // an offset from the first working day, "-14d", "2w", "4m"
  waived_if_experienced: boolean;
}

export interface Programme {
  id: string;
  version: number;
  name: string;
  items: ProgrammeItem[];
  deadlines: { id: string; title: string; part: string; due: string }[];
}

export interface Task {
  hire: string;
  hire_name: string;
  unit: string;
  item: string;
  text: string;
  checklist: string;
  role: string;
  responsible: string;
  due: string;
  overdue: boolean;
}

export interface HistoryEntry {
  position: number;
  version: number;
  recorded_at: string;
  effective_at: string;
  actor: string;
  type: string;
  schema_version: number;
  details: string;
  idempotency_key: string;
  hash: string;
  prev_hash: string;
  // A journey fact: the fact as recorded, in the events route's command shape
  // ({"kind":"item","item":…,"on":…}; the registration is kind "registration").
  // Absent on correction records, notifications and unreadable records.
  event?: FactFields;
  corrected_by?: number; // on a fact: the version of its newest correction
  retracted_by?: number; // on a fact: the version of the retraction that struck it
  corrects?: number; // on an EventCorrected: the version it corrects
  retracts?: number; // on an EventRetracted: the version it strikes
  reason?: string; // on a correction or retraction: why
  replacement?: FactFields; // on an EventCorrected: the fact as it should have been
  damage?: string; // on a damaged hire's history: why this record does not decode
}

export type FactFields = { kind: string } & Record<string, unknown>;

export interface CorrectionBody {
  action: 'correct' | 'retract';
  event: number;
  reason: string;
  replacement?: Record<string, unknown>; // only the fields that change
}

export interface Notification {
  message_id: string;
  channel: string;
  hire: string;
  decided_at: string;
  audience: string;
  to: string;
  subject: string;
  outcome: string;
  attempts: number;
  code: number;
  detail: string;
  catch_up: boolean;
}

export interface Verification {
  ok: boolean;
  events_checked: number;
  head_hash?: string;
}

export interface Unit {
  unit: string;
  municipality: string;
}

export interface CommandResult {
  id: string;
  version: number;
  position: number;
  hire?: string;
  corrects?: number;
  retracts?: number;
}

export interface ImportRow {
  line: number;
  outcome: 'registered' | 'duplicate' | 'rejected';
  hire: string;
  name: string;
  message: string;
}

export interface ImportReport {
  registered: number;
  duplicates: number;
  rejected: number;
  rows: ImportRow[];
}

export interface AsOf {
  date: string;
  basis: 'recorded' | 'effective';
}

export interface Answer<T> {
  data: T;
  etag?: string;
}

interface RequestOptions {
  query?: Record<string, string | undefined>;
  json?: unknown;
  text?: string;
  contentType?: string;
  ifMatch?: string;
  idempotencyKey?: string;
}

// The target of a Link header's rel="next", if there is one.
function nextPage(link: string | null): string | undefined {
  const m = link ? /<([^>]*)>\s*;\s*rel="next"/.exec(link) : null;
  return m ? m[1] : undefined;
}

export class Api {
  constructor(
    private readonly token: string,
    private readonly lang: Lang,
  ) {}

  private async send(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const url = new URL('/v1' + path, window.location.origin);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      'Accept-Language': this.lang,
    };
    let body: string | undefined;
    if (o.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.json);
    } else if (o.text !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'text/plain';
      body = o.text;
    }
    if (o.ifMatch) headers['If-Match'] = o.ifMatch;
    if (o.idempotencyKey) headers['Idempotency-Key'] = o.idempotencyKey;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, cache: 'no-store' });
    } catch {
      throw new ApiError(0, { type: 'about:blank', title: 'network', status: 0 });
    }
    if (!res.ok) throw new ApiError(res.status, await problemOf(res));
    return res;
  }

  private async json<T>(method: string, path: string, o?: RequestOptions): Promise<Answer<T>> {
    const res = await this.send(method, path, o);
    return { data: (await res.json()) as T, etag: res.headers.get('ETag') ?? undefined };
  }

  me() {
    return this.json<Principal>('GET', '/me');
  }
  units() {
    return this.json<Unit[]>('GET', '/units');
  }
  // A paged list to its end. The API answers in pages (at most 500 rows,
  // the next page named by a Link rel="next" header); they are followed here,
  // so that no list stops short at a page. The ETag is the first page's.
  private async allPages<T>(path: string, first: Record<string, string | undefined>): Promise<Answer<T[]>> {
    const rows: T[] = [];
    let etag: string | undefined;
    let query: Record<string, string | undefined> = { ...first, limit: '500' };
    for (let page = 0; page < 10000; page++) {
      const res = await this.send('GET', path, { query });
      if (page === 0) etag = res.headers.get('ETag') ?? undefined;
      rows.push(...((await res.json()) as T[]));
      const next = nextPage(res.headers.get('Link'));
      if (!next) break;
      query = Object.fromEntries(new URL(next, window.location.origin).searchParams);
    }
    return { data: rows, etag };
  }
  // Every hire the caller may see.
  hires(filter: { unit?: string; overdue?: boolean } = {}): Promise<Answer<HireSummary[]>> {
    return this.allPages<HireSummary>('/hires', {
      unit: filter.unit,
      overdue: filter.overdue ? 'true' : undefined,
    });
  }
  status(hire: string, asOf?: AsOf) {
    return this.json<Status>('GET', `/hires/${encodeURIComponent(hire)}`, {
      query: asOf ? { as_of: asOf.date, basis: asOf.basis } : undefined,
    });
  }
  // A hire's whole history (one page of 500 records for most hires).
  history(hire: string, asOf?: AsOf) {
    return this.allPages<HistoryEntry>(
      `/hires/${encodeURIComponent(hire)}/history`,
      asOf ? { as_of: asOf.date, basis: asOf.basis } : {},
    );
  }
  register(body: Record<string, unknown>, idempotencyKey: string) {
    return this.json<CommandResult>('POST', '/hires', { json: body, idempotencyKey });
  }
  record(hire: string, command: Record<string, unknown>, o: { ifMatch?: string; idempotencyKey?: string } = {}) {
    return this.json<CommandResult>('POST', `/hires/${encodeURIComponent(hire)}/events`, { json: command, ...o });
  }
  correct(hire: string, body: CorrectionBody, o: { ifMatch?: string; idempotencyKey?: string } = {}) {
    return this.json<CommandResult>('POST', `/hires/${encodeURIComponent(hire)}/corrections`, { json: body, ...o });
  }
  programme(id: string, version: number) {
    return this.json<Programme>('GET', `/programmes/${encodeURIComponent(id)}/versions/${version}`);
  }
  // Every open task the caller asks for, earliest due first.
  tasks(query: { mine?: boolean; unit?: string; role?: string } = {}): Promise<Answer<Task[]>> {
    return this.allPages<Task>('/tasks', { mine: query.mine ? '1' : undefined, unit: query.unit, role: query.role });
  }
  // Every notification of a hire, every page.
  notifications(hire: string): Promise<Answer<Notification[]>> {
    return this.allPages<Notification>('/notifications', { hire });
  }
  verify() {
    return this.json<Verification>('GET', '/audit/verify');
  }
  importCsv(csv: string) {
    return this.json<ImportReport>('POST', '/imports', { text: csv, contentType: 'text/csv; charset=utf-8' });
  }
  // The export needs the Authorization header, so it is fetched and handed to
  // the browser as a Blob rather than linked.
  async export(hire: string, format: 'csv' | 'json', asOf?: AsOf): Promise<{ blob: Blob; filename: string }> {
    const res = await this.send('GET', `/hires/${encodeURIComponent(hire)}/export`, {
      query: { format, ...(asOf ? { as_of: asOf.date, basis: asOf.basis } : {}) },
    });
    const cd = res.headers.get('Content-Disposition') ?? '';
    const m = /filename="([^"]+)"/.exec(cd);
    return { blob: await res.blob(), filename: m ? m[1] : `${hire}.${format}` };
  }
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const p = JSON.parse(text) as Problem;
    if (p && typeof p === 'object' && typeof p.status === 'number') return p;
  } catch {
    /* not a problem document: fall through */
  }
  return { type: 'about:blank', title: res.statusText || String(res.status), status: res.status };
}

export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `web-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
