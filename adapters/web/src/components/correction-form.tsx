// The inline form under a history row: "Rätta" (the fact's editable fields,
// prefilled with what it says now, and why it was wrong) or "Stryk" (why, and
// a confirming button). Control names are the API's JSON pointers ("/reason",
// "/replacement/on"), so a refusal naming a field is shown beside it; one that
// names nothing here is shown at the top of the form, read out as an alert.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { FieldList, type FieldDef } from './record-form';
import { Field, GeneralError, noErrors, type FormErrors } from './ui';

export type CorrectionSubmit = (values: Record<string, string>, reason: string, controls: string[]) => Promise<FormErrors | null>;

export function CorrectionForm({
  mode,
  version,
  legend,
  fields,
  onSubmit,
  onCancel,
}: {
  mode: 'correct' | 'retract';
  version: number;
  legend: string;
  fields: FieldDef[];
  onSubmit: CorrectionSubmit;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(fields.map((f) => [f.name, f.initial ?? ''])));
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  // Opened: the keyboard starts in the form. Refused: at the first field in error.
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);
  useLayoutEffect(() => {
    if (Object.keys(errors.byName).length) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    // An empty reason is caught here; one of blanks only is the server's to refuse.
    if (!reason) {
      setErrors({ byName: { '/reason': t('correct.reason.required') } });
      return;
    }
    setBusy(true);
    const result = await onSubmit(values, reason, [...fields.map((f) => f.name), '/reason']);
    if (!mounted.current) return;
    setBusy(false);
    setErrors(result ?? noErrors);
  };

  return (
    <form
      ref={form}
      class={`correction-form correction-form--${mode}`}
      data-correction-form={mode}
      data-for-version={version}
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
      noValidate
    >
      <fieldset>
        <legend>{legend}</legend>
        <p class="hint">{mode === 'correct' ? t('correct.intro') : t('retract.intro')}</p>
        <GeneralError errors={errors} />
        {fields.length > 0 && <FieldList fields={fields} values={values} setValues={setValues} errors={errors} />}
        <Field label={mode === 'correct' ? t('correct.reason') : t('retract.reason')} name="/reason" errors={errors} hint={t('correct.reason.hint')}>
          {(p) => <textarea {...p} rows={2} maxLength={2000} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />}
        </Field>
        <div class="actions">
          <button type="submit" class={mode === 'retract' ? 'button--danger' : 'button--primary'} disabled={busy} aria-busy={busy ? 'true' : undefined}>
            {mode === 'correct' ? t('correct.submit') : t('retract.confirm', { n: version })}
          </button>
          <button type="button" onClick={onCancel}>
            {t('correct.cancel')}
          </button>
        </div>
      </fieldset>
    </form>
  );
}
