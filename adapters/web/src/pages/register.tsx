// Registering a hire (POST /v1/hires). One Idempotency-Key per filled-in form:
// pressing the button twice, or again after a lost answer, registers once.
import { useRef, useState } from 'preact/hooks';
import { newIdempotencyKey } from '../api';
import { handleUnauthorized, useLoad } from '../components/load';
import { Field, formErrors, GeneralError, noErrors, PageTitle, UnitOptions, useSession, type FormErrors } from '../components/ui';
import { useI18n } from '../i18n';
import { navigate } from '../router';

const CONTROLS = ['/name', '/email', '/unit', '/start', '/introducer/name', '/introducer/email'];

export function RegisterPage() {
  const { api, me, announce } = useSession();
  const { t } = useI18n();
  const [units] = useLoad(async () => {
    if (me.role !== 'admin') return me.units;
    return (await api.units()).data.map((u) => u.unit);
  }, [api, me]);
  const [form, setForm] = useState({
    name: '',
    email: '',
    unit: me.units.length === 1 ? me.units[0] : '',
    start: '',
    experienced: false,
    introducerName: '',
    introducerEmail: '',
  });
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());

  const set = (k: keyof typeof form) => (e: Event) => {
    const el = e.target as HTMLInputElement;
    key.current = newIdempotencyKey(); // a changed form is a new registration
    setForm({ ...form, [k]: el.type === 'checkbox' ? el.checked : el.value });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    // Required fields are checked here too, so the message sits by the field.
    const missing: Record<string, string> = {};
    if (!form.name.trim()) missing['/name'] = t('register.required');
    if (!form.email.trim()) missing['/email'] = t('register.required');
    if (!form.unit) missing['/unit'] = t('register.required');
    if (!form.start) missing['/start'] = t('register.required');
    if (Object.keys(missing).length) {
      setErrors({ byName: missing });
      focusFirstError();
      return;
    }
    const body: Record<string, unknown> = {
      name: form.name.trim(),
      email: form.email.trim(),
      unit: form.unit,
      start: form.start,
    };
    if (form.experienced) body.experienced = true;
    if (form.introducerName.trim() || form.introducerEmail.trim()) {
      body.introducer = { name: form.introducerName.trim() };
      if (form.introducerEmail.trim()) (body.introducer as Record<string, string>).email = form.introducerEmail.trim();
    }
    setBusy(true);
    try {
      const r = await api.register(body, key.current);
      announce(t('register.done', { name: form.name.trim() }));
      navigate({ page: 'hire', hire: r.data.hire ?? r.data.id });
    } catch (err) {
      if (handleUnauthorized(err)) return;
      setErrors(formErrors(t, err, CONTROLS));
      focusFirstError();
    } finally {
      setBusy(false);
    }
  };

  const unitList = units.state === 'ok' ? units.data : [];

  return (
    <section class="narrow">
      <PageTitle>{t('register.title')}</PageTitle>
      <form class="card form" onSubmit={submit} noValidate>
        <GeneralError errors={errors} />
        <Field label={t('register.name')} name="/name" errors={errors}>
          {(p) => <input {...p} name="name" autoComplete="off" value={form.name} onInput={set('name')} />}
        </Field>
        <Field label={t('register.email')} name="/email" errors={errors}>
          {(p) => <input {...p} type="email" name="email" autoComplete="off" value={form.email} onInput={set('email')} />}
        </Field>
        <Field label={t('register.unit')} name="/unit" errors={errors}>
          {(p) => (
            <select {...p} name="unit" value={form.unit} onChange={set('unit')}>
              <option value="" disabled>
                –
              </option>
              <UnitOptions units={unitList} />
            </select>
          )}
        </Field>
        <Field label={t('register.start')} name="/start" errors={errors}>
          {(p) => <input {...p} type="date" name="start" value={form.start} onInput={set('start')} />}
        </Field>
        <div class="field field--check">
          <input type="checkbox" id="experienced" data-api-name="/experienced" checked={form.experienced} onChange={set('experienced')} />
          <label for="experienced">{t('register.experienced')}</label>
        </div>
        <fieldset>
          <legend>
            {t('register.introducer')} <span class="hint">{t('register.optional')}</span>
          </legend>
          <Field label={t('register.introducer.name')} name="/introducer/name" errors={errors}>
            {(p) => <input {...p} name="introducer-name" autoComplete="off" value={form.introducerName} onInput={set('introducerName')} />}
          </Field>
          <Field label={t('register.introducer.email')} name="/introducer/email" errors={errors}>
            {(p) => (
              <input {...p} type="email" name="introducer-email" autoComplete="off" value={form.introducerEmail} onInput={set('introducerEmail')} />
            )}
          </Field>
        </fieldset>
        <button type="submit" class="button--primary" disabled={busy}>
          {t('register.submit')}
        </button>
      </form>
    </section>
  );
}

export function focusFirstError(): void {
  window.setTimeout(() => {
    const el = document.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
  }, 0);
}
