// Signing in: the user pastes a bearer token; GET /v1/me says who it is.
import { useState } from 'preact/hooks';
import { Api, type Principal } from '../api';
import { Field, formErrors, GeneralError, noErrors, PageTitle, type FormErrors } from '../components/ui';
import { useI18n } from '../i18n';

export function SignIn({ notice, onSignedIn }: { notice: string; onSignedIn: (token: string, me: Principal) => void }) {
  const { t, lang } = useI18n();
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setErrors({ byName: { Authorization: t('signin.empty') } });
      return;
    }
    setBusy(true);
    try {
      const me = await new Api(value, lang).me();
      onSignedIn(value, me.data);
    } catch (err) {
      setErrors(formErrors(t, err, ['Authorization']));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="signin card">
      <PageTitle>{t('signin.title')}</PageTitle>
      {notice && (
        <p class="alert alert--info" role="status">
          {notice}
        </p>
      )}
      <p>{t('signin.intro')}</p>
      <form onSubmit={submit} noValidate>
        <GeneralError errors={errors} />
        <Field label={t('signin.token')} name="Authorization" errors={errors} hint={t('signin.token.hint')}>
          {(p) => (
            <input
              {...p}
              type="password"
              name="token"
              autoComplete="off"
              spellcheck={false}
              value={token}
              onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <button type="submit" class="button--primary" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
    </section>
  );
}
