// One small form per kind of event ("Kursmodul genomförd": module, date).
// Field names are the command's JSON pointers, so the API's `field` lands on
// the right control.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { Field, GeneralError, noErrors, type FieldProps, type FormErrors } from './ui';

export interface FieldDef {
  name: string; // "/on", "/number"
  label: string;
  type: 'date' | 'number' | 'text' | 'email' | 'select';
  options?: { value: string; label: string }[];
  initial?: string;
  step?: string;
  min?: string;
  max?: string;
  required?: boolean;
}

// The control of one field, given the labelled Field's props (id, aria-*):
// shared by the record forms and the correction form.
export function FieldControl({ f, p, value, set }: { f: FieldDef; p: FieldProps; value: string; set: (v: string) => void }) {
  if (f.type === 'select')
    return (
      <select {...p} value={value} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        {f.options!.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  return (
    <input
      {...p}
      type={f.type}
      step={f.step}
      min={f.min}
      max={f.max}
      inputMode={f.type === 'number' ? 'decimal' : undefined}
      value={value}
      onInput={(e) => set((e.target as HTMLInputElement).value)}
    />
  );
}

// The labelled controls of a form's fields, each showing the error the API
// names for it (the record form and the correction form share it).
export function FieldList({
  fields,
  values,
  setValues,
  errors,
}: {
  fields: FieldDef[];
  values: Record<string, string>;
  setValues: (v: Record<string, string>) => void;
  errors: FormErrors;
}) {
  return (
    <div class="record-fields">
      {fields.map((f) => (
        <Field key={f.name} label={f.label} name={f.name} errors={errors}>
          {(p) => <FieldControl f={f} p={p} value={values[f.name]} set={(v) => setValues({ ...values, [f.name]: v })} />}
        </Field>
      ))}
    </div>
  );
}

export type Submit = (values: Record<string, string>, controls: string[]) => Promise<FormErrors | null>;

export function RecordForm({
  id,
  legend,
  fields,
  onSubmit,
  note,
  submitLabel,
}: {
  id: string;
  legend: string;
  fields: FieldDef[];
  onSubmit: Submit;
  note?: ComponentChildren;
  submitLabel?: string;
}) {
  const { t } = useI18n();
  // What the user typed; the rest shows each field's initial value, which may
  // change as the journey does (the next module number after one is recorded).
  const [typed, setTyped] = useState<Record<string, string>>({});
  const values: Record<string, string> = Object.fromEntries(fields.map((f) => [f.name, typed[f.name] ?? f.initial ?? '']));
  const setValues = (v: Record<string, string>) => setTyped(v);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const missing: Record<string, string> = {};
    for (const f of fields) if (f.required && !values[f.name]) missing[f.name] = t('register.required');
    if (Object.keys(missing).length) {
      setErrors({ byName: missing });
      return;
    }
    setBusy(true);
    const result = await onSubmit(values, fields.map((f) => f.name));
    setBusy(false);
    setErrors(result ?? noErrors);
    if (!result) setTyped({});
  };

  return (
    <form class="record-form card" id={id} data-form={id} onSubmit={submit} noValidate>
      <fieldset>
        <legend>{legend}</legend>
        {note && <p class="hint">{note}</p>}
        <GeneralError errors={errors} />
        <FieldList fields={fields} values={values} setValues={setValues} errors={errors} />
        <button type="submit" disabled={busy}>
          {submitLabel ?? t('record.submit')}
        </button>
      </fieldset>
    </form>
  );
}
