// Importing hires from the HR system's CSV (POST /v1/imports, text/csv): each
// row registered on its own, the per-row report shown as a table.
import { useState } from 'preact/hooks';
import type { ImportReport } from '../api';
import { handleUnauthorized } from '../components/load';
import { Field, formErrors, GeneralError, noErrors, PageTitle, useSession, type FormErrors } from '../components/ui';
import { known, useI18n } from '../i18n';
import { href } from '../router';

export function ImportPage() {
  const { api, announce } = useSession();
  const { t } = useI18n();
  const [csv, setCsv] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);

  const pick = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) setCsv(await file.text());
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!csv.trim()) {
      setErrors({ byName: { '/': t('import.empty') } });
      return;
    }
    setBusy(true);
    setErrors(noErrors);
    try {
      const r = (await api.importCsv(csv)).data;
      setReport(r);
      announce(t('import.summary', { registered: r.registered, duplicates: r.duplicates, rejected: r.rejected }));
    } catch (err) {
      if (handleUnauthorized(err)) return;
      // A file-level error names the field "/": the content as a whole.
      setErrors(formErrors(t, err, ['/', 'Content-Type']));
      setReport(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <PageTitle>{t('import.title')}</PageTitle>
      <p class="lead">{t('import.intro')}</p>
      <form class="card form" onSubmit={submit} noValidate>
        <GeneralError errors={errors} />
        <div class="field">
          <label for="import-file">{t('import.file')}</label>
          <input id="import-file" type="file" accept=".csv,text/csv" onChange={pick} />
        </div>
        <Field label={t('import.text')} name="/" errors={errors}>
          {(p) => (
            <textarea
              {...p}
              rows={8}
              spellcheck={false}
              class="mono"
              value={csv}
              placeholder="name,email,unit,start,experienced,introducer,introducer_email"
              onInput={(e) => setCsv((e.target as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        <button type="submit" class="button--primary" disabled={busy}>
          {t('import.submit')}
        </button>
      </form>
      {report && (
        <section class="card" aria-labelledby="report-title" data-report>
          <h2 id="report-title">{t('import.report')}</h2>
          <p class="count">
            {t('import.summary', { registered: report.registered, duplicates: report.duplicates, rejected: report.rejected })}
          </p>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col" class="num">
                    {t('import.line')}
                  </th>
                  <th scope="col">{t('import.outcome')}</th>
                  <th scope="col">{t('import.hire')}</th>
                  <th scope="col">{t('import.name')}</th>
                  <th scope="col">{t('import.message')}</th>
                </tr>
              </thead>
              <tbody>
                {report.rows.map((r) => (
                  <tr key={r.line} class={`row--${r.outcome}`} data-outcome={r.outcome}>
                    <td class="num">{r.line}</td>
                    <td>
                      <span class={`tag tag--${r.outcome}`}>{known(t, 'import.outcome', r.outcome)}</span>
                    </td>
                    <td>{r.hire ? <a href={href({ page: 'hire', hire: r.hire })}>{r.hire}</a> : '–'}</td>
                    <td>{r.name}</td>
                    <td>{r.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </section>
  );
}
