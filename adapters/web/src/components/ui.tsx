// Small building blocks shared by the pages: labelled fields that show the
// API's field errors beside themselves, progress bars, the forbidden state.
import type { ComponentChildren, JSX } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import { ApiError, type Api, type Principal } from '../api';
import { useI18n, type Translate } from '../i18n';
import { today } from '../dates';
import { hasNavigated } from '../router';

export interface Session {
  api: Api;
  me: Principal;
  announce: (message: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

// Errors of one form, keyed by what the API names: a JSON pointer ("/email"),
// a query parameter ("as_of") or a header ("If-Match"). `general` is for a
// problem that names nothing the form shows.
export interface FormErrors {
  byName: Record<string, string>;
  general?: string;
}

export const noErrors: FormErrors = { byName: {} };

export function problemText(t: Translate, e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('app.network');
    return e.problem.detail || e.problem.title || t('error.generic', { status: e.status });
  }
  return String(e);
}

// Places an API error next to the control it names when the form has one.
export function formErrors(t: Translate, e: unknown, controls: string[]): FormErrors {
  const text = problemText(t, e);
  if (e instanceof ApiError) {
    const p = e.problem;
    for (const name of [p.field, p.parameter, p.header]) {
      if (name && controls.includes(name)) return { byName: { [name]: text } };
    }
    // "/introducer/email" belongs to the control "/introducer/email" or, failing
    // that, to its parent "/introducer".
    if (p.field) {
      const parent = controls.find((c) => p.field!.startsWith(c + '/'));
      if (parent) return { byName: { [parent]: text } };
    }
  }
  return { byName: {}, general: text };
}

let nextId = 0;
export function useId(prefix: string): string {
  const ref = useRef<string>();
  if (!ref.current) ref.current = `${prefix}-${++nextId}`;
  return ref.current;
}

// What a Field hands its control: the id its label names, the error state.
export interface FieldProps {
  id: string;
  'aria-invalid'?: 'true';
  'aria-describedby'?: string;
  'data-api-name': string;
}

interface LabelledFieldProps {
  label: string;
  name: string; // what the API calls it: "/email", "as_of"
  errors: FormErrors;
  hint?: string;
  children: (props: FieldProps) => JSX.Element;
  class?: string;
}

// A <label> for every control; the API's error for that control below it,
// tied to it with aria-describedby.
export function Field({ label, name, errors, hint, children, class: cls }: LabelledFieldProps) {
  const id = useId('f');
  const error = errors.byName[name];
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' field--error' : ''}${cls ? ' ' + cls : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {children({
        id,
        'aria-invalid': error ? 'true' : undefined,
        'aria-describedby': described || undefined,
        'data-api-name': name,
      })}
      {error && (
        <p class="field-error" id={`${id}-error`} data-error-for={name}>
          {error}
        </p>
      )}
    </div>
  );
}

export function GeneralError({ errors }: { errors: FormErrors }) {
  const { t } = useI18n();
  if (!errors.general) return null;
  return (
    <div class="alert alert--error" role="alert">
      <strong>{t('error.title')}:</strong> {errors.general}
    </div>
  );
}

export function ProgressBar({ label, done, total, late }: { label: string; done: number; total: number; late?: boolean }) {
  const { t } = useI18n();
  const pct = total > 0 ? Math.round((done / total) * 100) : 0;
  const value = t('progress.value', { done, total });
  return (
    <div class={`progress${late ? ' progress--late' : ''}`}>
      <div class="progress-head">
        <span class="progress-label">{label}</span>
        <span class="progress-value">{value}</span>
      </div>
      <div
        class="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={value}
      >
        <div class="progress-fill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

// One <option> per unit name, after whatever first option the select has.
export function UnitOptions({ units }: { units: string[] }) {
  return (
    <>
      {units.map((u) => (
        <option key={u} value={u}>
          {u}
        </option>
      ))}
    </>
  );
}

// Moves focus to the page's heading when a page opens, so keyboard and screen
// reader users start at the top of the new content.
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (hasNavigated()) ref.current?.focus({ preventScroll: false });
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref} class="page-title">
      {children}
    </h1>
  );
}

export function Forbidden() {
  const { t } = useI18n();
  return (
    <section class="forbidden" data-state="forbidden" aria-labelledby="forbidden-title">
      <PageTitle>
        <span id="forbidden-title">{t('forbidden.title')}</span>
      </PageTitle>
      <p>{t('forbidden.body')}</p>
      <p>
        <a href="#/">{t('forbidden.home')}</a>
      </p>
    </section>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p class="loading" aria-busy="true">
      {t('app.loading')}
    </p>
  );
}

export function LoadError({ error, retry }: { error: unknown; retry: () => void }) {
  const { t } = useI18n();
  return (
    <div class="alert alert--error" role="alert">
      <p>{problemText(t, error)}</p>
      <button type="button" onClick={retry}>
        {t('app.retry')}
      </button>
    </div>
  );
}

// The "done on" date that ticking a checklist item records, with its error
// beside it (the API names it "/on"). Shared by the hire page and the task inbox.
export function DoneDateField({ id, on, setOn, error }: { id: string; on: string; setOn: (v: string) => void; error?: string }) {
  const { t } = useI18n();
  return (
    <div class={`field${error ? ' field--error' : ''}`}>
      <label for={id}>{t('checklist.date')}</label>
      <input
        id={id}
        type="date"
        value={on}
        max={today()}
        data-api-name="/on"
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onInput={(e) => setOn((e.target as HTMLInputElement).value)}
      />
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
