// The application shell: sign-in, the header with language and sign-out, the
// live region for status messages, and the page for the current route.
import { render } from 'preact';
import { useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError, type Principal } from './api';
import { setUnauthorizedHandler } from './components/load';
import { Forbidden, SessionContext, type Session } from './components/ui';
import { I18nContext, storedLang, storeLang, translator, useI18n, type Lang } from './i18n';
import { AuditPage } from './pages/audit';
import { HirePage } from './pages/hire';
import { HiresPage } from './pages/hires';
import { ImportPage } from './pages/import';
import { RegisterPage } from './pages/register';
import { SignIn } from './pages/signin';
import { TasksPage } from './pages/tasks';
import { TimelinePage } from './pages/timeline';
import { homeOf, href, noteNavigated, pageRoles, useRoute, type Route } from './router';
import './styles.css';

const TOKEN_KEY = 'journey.token';

function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function App() {
  const [lang, setLang] = useState<Lang>(storedLang);
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  const [token, setToken] = useState<string | null>(readToken);
  const [me, setMe] = useState<Principal | null>(null);
  const [notice, setNotice] = useState<string>('');
  const [live, setLive] = useState<string>('');

  // A layout effect, so that the lang attribute changes in the same commit as
  // the texts: with useEffect, Preact sets it a frame later, and a screen
  // reader (or a test) can meet English text marked as Swedish.
  useLayoutEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${i18n.t('app.name')} – ${i18n.t('app.tagline')}`;
  }, [lang, i18n]);

  const api = useMemo(() => (token ? new Api(token, lang) : null), [token, lang]);

  const signOut = useCallback((message: string) => {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      /* nothing stored */
    }
    setToken(null);
    setMe(null);
    setNotice(message);
    if (window.location.hash && window.location.hash !== '#/') window.location.hash = '#/';
  }, []);

  useEffect(() => setUnauthorizedHandler(() => signOut(i18n.t('signin.expired'))), [signOut, i18n]);

  // A token kept from before a reload: ask who it is.
  useEffect(() => {
    if (!api || me) return;
    api.me().then(
      (a) => setMe(a.data),
      (e) => signOut(e instanceof ApiError && e.status === 401 ? i18n.t('signin.expired') : ''),
    );
  }, [api]);

  // The live region is read out by screen readers and shown as a toast; it is
  // emptied after a while so it does not cover the page.
  const liveTimer = useRef<number>();
  const announce = useCallback((message: string) => {
    setLive('');
    window.clearTimeout(liveTimer.current);
    window.setTimeout(() => setLive(message), 50);
    liveTimer.current = window.setTimeout(() => setLive(''), 8000);
  }, []);

  const signedIn = (t: string, p: Principal) => {
    try {
      sessionStorage.setItem(TOKEN_KEY, t);
    } catch {
      /* the session lasts for this page only */
    }
    noteNavigated(); // the sign-in form is gone: the next page's heading takes the focus
    setNotice('');
    setToken(t);
    setMe(p);
  };

  const session: Session | null = api && me ? { api, me, announce } : null;

  return (
    <I18nContext.Provider value={i18n}>
      <a class="skip" href="#main" onClick={skipToMain}>
        {i18n.t('app.skip')}
      </a>
      <Header
        me={me}
        onLang={() => {
          const next = lang === 'sv' ? 'en' : 'sv';
          storeLang(next);
          setLang(next);
        }}
        onSignOut={() => signOut(i18n.t('signin.signedout'))}
      />
      <main id="main" tabIndex={-1}>
        {session ? (
          <SessionContext.Provider value={session}>
            <Page />
          </SessionContext.Provider>
        ) : token ? (
          <p class="loading" aria-busy="true">
            {i18n.t('app.loading')}
          </p>
        ) : (
          <SignIn notice={notice} onSignedIn={signedIn} />
        )}
      </main>
      <div class="live" role="status" aria-live="polite" aria-atomic="true" data-live>
        {live}
      </div>
    </I18nContext.Provider>
  );
}

function skipToMain(e: Event) {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

function Header({ me, onLang, onSignOut }: { me: Principal | null; onLang: () => void; onSignOut: () => void }) {
  const { t, lang } = useI18n();
  const route = useRoute();
  const links: { route: Route; label: string }[] = [];
  if (me) {
    const may = (p: keyof typeof pageRoles) => pageRoles[p].includes(me.role);
    if (may('hires')) links.push({ route: { page: 'hires' }, label: t('nav.hires') });
    if (may('register')) links.push({ route: { page: 'register' }, label: t('nav.register') });
    if (may('tasks')) links.push({ route: { page: 'tasks' }, label: t('nav.tasks') });
    if (may('audit')) links.push({ route: { page: 'audit' }, label: t('nav.audit') });
    if (may('import')) links.push({ route: { page: 'import' }, label: t('nav.import') });
  }
  const current = (r: Route) =>
    r.page === route.page ||
    (r.page === 'hires' && route.page === 'hire') ||
    (r.page === 'audit' && route.page === 'timeline');
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href="#/">
          <span class="brand-name">{t('app.name')}</span>
          <span class="brand-tagline">{t('app.tagline')}</span>
        </a>
        {me && links.length > 0 && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {links.map((l) => (
                <li key={l.route.page}>
                  <a href={href(l.route)} aria-current={current(l.route) ? 'page' : undefined}>
                    {l.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="topbar-tools">
          {me && (
            <span class="whoami" data-role={me.role}>
              {t('nav.signedin', { name: me.name || me.email || me.token_id, role: t(`role.${me.role}`) })}
            </span>
          )}
          <button type="button" class="button--quiet" onClick={onLang} aria-label={t('lang.switch.label')} lang={lang === 'sv' ? 'en' : 'sv'}>
            {t('lang.switch')}
          </button>
          {me && (
            <button type="button" class="button--quiet" onClick={onSignOut}>
              {t('nav.signout')}
            </button>
          )}
        </div>
      </div>
    </header>
  );
}

function Page() {
  const route = useRoute();
  const session = useSessionOrNull();
  if (!session) return null;
  const role = session.me.role;
  if (route.page === 'home') return <Redirect to={homeOf(role)} />;
  if (route.page === 'unknown') return <Forbidden />;
  if (!pageRoles[route.page].includes(role)) return <Forbidden key={`forbidden-${route.page}`} />;
  switch (route.page) {
    case 'hires':
      return <HiresPage key="hires" />;
    case 'register':
      return <RegisterPage key="register" />;
    case 'hire':
      return <HirePage key={`hire-${route.hire}`} hire={route.hire} />;
    case 'tasks':
      return <TasksPage key="tasks" />;
    case 'audit':
      return <AuditPage key="audit" />;
    case 'timeline':
      return <TimelinePage key={`timeline-${route.hire}`} hire={route.hire} />;
    case 'import':
      return <ImportPage key="import" />;
  }
}

function Redirect({ to }: { to: Route }) {
  useEffect(() => window.location.replace(href(to)), [to]);
  return null;
}

function useSessionOrNull() {
  return useContext(SessionContext);
}

render(<App />, document.getElementById('app')!);
