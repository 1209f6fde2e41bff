// Calendar dates as the API writes them (YYYY-MM-DD, ISO weeks "2026-W37").

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// The server refuses dates in its own future; its "today" (the status's as_of
// when no as_of is asked for) wins over the browser's when it is earlier.
let serverToday: string | undefined;

export function noteServerToday(day: string | undefined): void {
  if (day && /^\d{4}-\d{2}-\d{2}$/.test(day)) serverToday = day;
}

export function today(): string {
  const local = isoDay(new Date());
  return serverToday && serverToday < local ? serverToday : local;
}

// Monday of an ISO week: week 1 holds 4 January.
export function isoWeekMonday(week: string): string | undefined {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!m) return undefined;
  const year = Number(m[1]);
  const w = Number(m[2]);
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const dow = (jan4.getUTCDay() + 6) % 7; // Monday 0
  const monday = new Date(jan4.getTime() + ((w - 1) * 7 - dow) * 86400000);
  return monday.toISOString().slice(0, 10);
}

export function weekLabel(week: string): string {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  return m ? `v. ${Number(m[2])} ${m[1]}` : week;
}

// "2026-11-22T18:27:52.143472Z" as local date and time, in the user's language.
export function dateTime(iso: string, lang: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === 'en' ? 'en-GB' : 'sv-SE', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function isDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s);
}
