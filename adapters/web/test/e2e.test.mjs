// End-to-end: the built web application in headless Chromium against a real
// journeyd on loopback that this file starts. Set up through the API with the
// admin token (a municipality, two units, a token per role), then each role
// does its work in the browser. Screenshots of every main page, at desktop and
// phone widths, go to ../screenshots/ (or $JOURNEY_WEB_SCREENSHOTS).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { client, day, startJourneyd } from './journeyd.mjs';
import { checkAccessibility, tabStops } from './a11y.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// JOURNEY_WEB_SCREENSHOTS moves them elsewhere (a ctest run keeps the committed ones).
const shots = process.env.JOURNEY_WEB_SCREENSHOTS || path.resolve(here, '..', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const HISINGEN = 'Barn och unga Hisingen';
const CENTRUM = 'Barn och unga Centrum';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let server;
let browser;
const tokens = {};
let centrumHire; // a hire in the other unit: Anna and Adam may not see it
let saraHire; // registered by Anna in the browser
const cspViolations = [];

async function setUp() {
  const admin = client(server.base, server.admin);
  await admin('PUT', '/municipalities/goteborg', { name: 'Göteborgs Stad' });
  await admin('PUT', `/units/${encodeURIComponent(HISINGEN)}`, {
    municipality: 'goteborg',
    unit_head: { name: 'Anna Berg', email: 'anna.berg@goteborg.se' },
    administrator: { name: 'Adam Ek', email: 'adam.ek@goteborg.se' },
  });
  await admin('PUT', `/units/${encodeURIComponent(CENTRUM)}`, {
    municipality: 'goteborg',
    unit_head: { name: 'Cecilia Holm', email: 'cecilia.holm@goteborg.se' },
    administrator: { name: 'Dina Ström', email: 'dina.strom@goteborg.se' },
  });
  const token = async (body) => (await admin('POST', '/tokens', { municipality: 'goteborg', ...body })).json.token;
  tokens.anna = await token({ role: 'unit_head', units: [HISINGEN], name: 'Anna Berg', email: 'anna.berg@goteborg.se' });
  tokens.adam = await token({ role: 'administrator', units: [HISINGEN], name: 'Adam Ek', email: 'adam.ek@goteborg.se' });
  tokens.rut = await token({ role: 'auditor', name: 'Rut Granskare', email: 'rut.granskare@goteborg.se' });
  tokens.cecilia = await token({ role: 'unit_head', units: [CENTRUM], name: 'Cecilia Holm', email: 'cecilia.holm@goteborg.se' });
  tokens.admin = await token({ role: 'admin', name: 'Göran Admin', email: 'goran.admin@goteborg.se' });
  const cecilia = client(server.base, tokens.cecilia);
  const r = await cecilia('POST', '/hires', {
    name: 'Hemlig Centrumsson',
    email: 'hemlig@goteborg.se',
    unit: CENTRUM,
    start: day(-10),
    introducer: { name: 'Ivar Lund', email: 'ivar.lund@goteborg.se' },
  });
  centrumHire = r.json.hire;
}

async function newPage(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'sv-SE', timezoneId: 'Europe/Stockholm' });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => cspViolations.push('page error: ' + e.message));
  return page;
}

async function signIn(page, token) {
  await page.goto(server.base + '/');
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: /Logga in|Sign in/ }).click();
  await page.locator('.whoami').waitFor();
  await page.waitForURL(/#\/(hires|tasks|audit)$/); // the role's start page
}

// A screenshot at desktop width, then the same page at phone width.
async function shoot(page, name, { fullPage = true, scrollTo } = {}) {
  mkdirSync(shots, { recursive: true });
  const original = page.viewportSize();
  for (const [suffix, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ]) {
    await page.setViewportSize(size);
    if (scrollTo) await page.locator(scrollTo).first().evaluate((el) => el.scrollIntoView({ block: 'start' }));
    else await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(shots, `${name}-${suffix}.png`), fullPage });
  }
  await page.setViewportSize(original);
}

async function progressOf(page, scope, label) {
  const bar = page.locator(scope).getByRole('progressbar', { name: label, exact: true });
  return Number(await bar.getAttribute('aria-valuenow'));
}

before(async () => {
  server = await startJourneyd();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  await setUp();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('journeyd serves the application', () => {
  test('index.html comes with the Content-Security-Policy and client routes fall back to it', async () => {
    const res = await fetch(server.base + '/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const deep = await fetch(server.base + '/hires/anything');
    assert.equal(deep.status, 200);
  });
});

describe('signing in', () => {
  test('a wrong token is refused next to the token field, in Swedish by default', async () => {
    const page = await newPage();
    await page.goto(server.base + '/');
    assert.equal(await page.locator('html').getAttribute('lang'), 'sv');
    await shoot(page, '01-signin');
    await page.getByLabel('Token').fill('jt_00000000_wrong');
    await page.getByRole('button', { name: 'Logga in' }).click();
    const error = page.locator('[data-error-for="Authorization"]');
    await error.waitFor();
    assert.equal(await page.getByLabel('Token').getAttribute('aria-invalid'), 'true');
    assert.ok((await error.textContent()).length > 5);
    await page.context().close();
  });
});

describe('signing out', () => {
  test('the sign-out button forgets the token; a revoked token signs the user out with a notice', async () => {
    const page = await newPage();
    await signIn(page, tokens.adam);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('journey.token')), tokens.adam);
    await page.getByRole('button', { name: 'Logga ut' }).click();
    await page.getByText('Du är utloggad.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('journey.token')), null);
    await page.goto(`${server.base}/#/tasks`);
    await page.getByLabel('Token').waitFor();
    assert.equal(await page.locator('.task-list').count(), 0);

    const admin = client(server.base, tokens.admin);
    const temporary = async () =>
      (await admin('POST', '/tokens', { role: 'administrator', units: [HISINGEN], municipality: 'goteborg', name: 'Tillfällig', email: 'tillfallig@goteborg.se' })).json;
    const expired = 'Din token gäller inte längre. Logga in igen.';

    // Revoked while the page shows its data: the next load (here a reload) signs out.
    // The task list must have loaded first, or its request could be the one that
    // meets the revoked token and the reload would wipe that notice (a CI flake).
    let created = await temporary();
    await signIn(page, created.token);
    await page.locator('.task-list, [data-empty]').first().waitFor();
    await admin('DELETE', `/tokens/${created.token_id}`);
    await page.reload();
    await page.getByText(expired).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('journey.token')), null);

    // Revoked while a page's request is under way: its 401 signs out, no reload needed.
    created = await temporary();
    let release;
    const held = new Promise((r) => (release = r));
    await page.route('**/v1/tasks*', async (route) => {
      await held;
      await route.continue();
    });
    await signIn(page, created.token);
    await admin('DELETE', `/tokens/${created.token_id}`);
    release();
    await page.getByText(expired).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('journey.token')), null);
    assert.equal(await page.locator('.task-list').count(), 0);
    await page.context().close();
  });
});

describe('unit head', () => {
  let page;
  before(async () => {
    page = await newPage();
    await signIn(page, tokens.anna);
  });
  after(async () => page.context().close());

  test('registers a hire; a wrong field is named beside it', async () => {
    await page.waitForURL(/#\/hires$/);
    await page.getByRole('link', { name: 'Registrera nyanställd' }).click();
    await page.getByRole('heading', { name: 'Registrera nyanställd' }).waitFor();
    await page.getByLabel('Namn', { exact: true }).fill('Sara Lind');
    await page.getByLabel('E-post', { exact: true }).fill('inte-en-adress');
    await page.getByLabel('Första arbetsdag').fill(day(-21));
    await page.getByLabel('Introduktörens namn').fill('Karin Ek');
    await page.getByLabel('Introduktörens e-post').fill('karin.ek@goteborg.se');
    await page.getByRole('button', { name: 'Registrera', exact: true }).click();
    // The server's 422 names "/email": the message sits under that field.
    const emailError = page.locator('[data-error-for="/email"]');
    await emailError.waitFor();
    assert.match(await emailError.textContent(), /e-post/i);
    await shoot(page, '03-register');
    await page.getByLabel('E-post', { exact: true }).fill('sara.lind@goteborg.se');
    await page.getByRole('button', { name: 'Registrera', exact: true }).click();
    await page.waitForURL(/#\/hires\/hire-/);
    saraHire = decodeURIComponent(page.url().split('#/hires/')[1]);
    await page.getByRole('heading', { level: 1, name: 'Sara Lind' }).waitFor();
  });

  test('ticks checklist items with a done date and sees the progress change', async () => {
    const prep = () => progressOf(page, '[data-progress]', 'Förberedelser');
    assert.equal(await prep(), 0);
    await page.getByLabel('Klart datum för det du bockar av').fill(day(-25));
    await page.getByLabel('Informera enheten om den nya medarbetaren').check();
    await page.locator('[data-item="ec.informera-enheten"][data-state="done"]').waitFor();
    assert.equal(await prep(), 1);
    assert.match(await page.locator('[data-item="ec.informera-enheten"] .item-meta').textContent(), new RegExp(day(-25)));
    await page.getByLabel('Informera administratör om anställningen').check();
    await page.locator('[data-item="ec.informera-administrator"][data-state="done"]').waitFor();
    assert.equal(await prep(), 2);
    await page.waitForFunction(() => /Registrerat: Informera administratör/.test(document.querySelector('[data-live]')?.textContent ?? ''));
    // The EC group says how many of its items are done.
    assert.match(await page.locator('details[data-role="EC"] .role-count').textContent(), /^2 av /);
  });

  test('records the first day, hours against what is owed, and sees refusals beside the form', async () => {
    const started = page.locator('[data-form="record-started"]');
    await started.getByLabel('Datum').fill(day(-21));
    await started.getByRole('button', { name: 'Registrera' }).click();
    await page.locator('dd[data-lifecycle="Active"]').waitFor();

    const hours = page.locator('[data-form="record-hours"]');
    await hours.getByLabel('Vecka (valfri dag i veckan)').fill(day(-14));
    await hours.getByLabel('Timmar').fill('-1');
    await hours.getByRole('button', { name: 'Logga timmar' }).click();
    await hours.locator('[data-error-for="/hours"]').waitFor(); // 422 naming /hours
    await hours.getByLabel('Timmar').fill('3');
    await hours.getByRole('button', { name: 'Logga timmar' }).click();
    await page.locator('[data-hours-balance]').filter({ hasText: 'loggat 3 h' }).waitFor();
    assert.equal(await page.locator('.chart svg[role="img"]').count(), 1);
    assert.ok((await page.locator('.hours-table tbody tr').count()) >= 3);

    // A module before the course is booked: the engine refuses, the form says why.
    const module = page.locator('[data-form="record-module"]');
    await module.getByRole('button', { name: 'Registrera' }).click();
    await module.getByRole('alert').waitFor();
    assert.match(await module.getByRole('alert').textContent(), /inte tillåtet/);

    const booked = page.locator('[data-form="record-course-booked"]');
    await booked.getByLabel('Startar').fill(day(-7));
    const beforeBooking = await page.locator('article.hire').getAttribute('data-version');
    await booked.getByRole('button', { name: 'Registrera' }).click();
    // The page has reloaded the journey (a new version) before the next command:
    // otherwise that command carries the old version and rightly gets a 412.
    await page.waitForFunction(
      (v) => document.querySelector('article.hire')?.getAttribute('data-version') !== v,
      beforeBooking,
    );
    await page.locator('[data-form="record-module"]').getByText('Genomförda moduler: inga ännu').waitFor();
    await module.getByLabel('Datum').fill(day(-6));
    await module.getByRole('button', { name: 'Registrera' }).click();
    await page.locator('[data-form="record-module"]').getByText('Genomförda moduler: 1').waitFor();
    assert.equal(await progressOf(page, '[data-progress]', 'Introduktionsprogram'), 1);

    // Leave: the programme clock stops; back again, the hire is active.
    const leave = page.locator('[data-form="record-leave-start"]');
    await leave.getByLabel('Från och med').fill(day(-3));
    await leave.getByRole('button', { name: 'Registrera' }).click();
    await page.locator('dd[data-lifecycle="OnLeave"]').waitFor();
    const back = page.locator('[data-form="record-leave-end"]');
    await back.getByLabel('Första dag tillbaka').fill(day(-1));
    await back.getByRole('button', { name: 'Registrera' }).click();
    await page.locator('dd[data-lifecycle="Active"]').waitFor();
  });

  test('someone else changes the journey meanwhile: 412, reloaded, said clearly', async () => {
    const before = await page.locator('article.hire').getAttribute('data-version');
    // Behind the page's back, through the API.
    await client(server.base, tokens.anna)('POST', `/hires/${saraHire}/events`, { kind: 'item', item: 'ec.gava', on: day(-22) });
    await page.getByLabel('Utse mentor/fadder').click(); // refused: the box stays open
    const alert = page.locator('[data-conflict]');
    await alert.waitFor();
    assert.match(await alert.textContent(), /Någon annan har ändrat/);
    // Reloaded: the other change shows, the version moved on, nothing else was recorded.
    await page.locator('[data-item="ec.gava"][data-state="done"]').waitFor();
    assert.notEqual(await page.locator('article.hire').getAttribute('data-version'), before);
    assert.equal(await page.locator('[data-item="ec.utse-fadder"]').getAttribute('data-state'), 'open');
    // Ticking again now succeeds.
    await page.getByLabel('Utse mentor/fadder').check();
    await page.locator('[data-item="ec.utse-fadder"][data-state="done"]').waitFor();
    await shoot(page, '04-hire', { fullPage: false });
    await shoot(page, '05-hire-checklist', { fullPage: false, scrollTo: '#checklist-title' });
    await shoot(page, '06-hire-hours', { fullPage: false, scrollTo: '#hours-title' });
    await shoot(page, '07-hire-record', { fullPage: false, scrollTo: '.record-grid' });
  });

  test('the overview shows each hire with a bar per part and the overdue in red', async () => {
    await page.getByRole('link', { name: 'Nyanställda', exact: true }).click();
    const card = page.locator(`li[data-hire="${saraHire}"]`);
    await card.waitFor();
    assert.equal(await card.getByRole('progressbar').count(), 4);
    assert.equal(await progressOf(page, `li[data-hire="${saraHire}"]`, 'Förberedelser'), 4);
    const overdue = card.locator('[data-overdue]');
    assert.ok(Number(await overdue.getAttribute('data-overdue')) > 0);
    assert.equal(await overdue.evaluate((el) => getComputedStyle(el).color), 'rgb(179, 38, 30)');
    // Anna sees only her unit's hires.
    assert.equal(await page.locator(`li[data-hire="${centrumHire}"]`).count(), 0);
    await shoot(page, '02-hires');
  });

  test('switches to English: texts, lang attribute and Accept-Language follow, and the choice is kept', async () => {
    const accept = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/')) accept.push(r.headers()['accept-language']);
    });
    await page.getByRole('button', { name: 'Byt språk till engelska' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hires in my units' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.goto(`${server.base}/#/hires/${saraHire}`);
    await page.getByRole('heading', { name: 'Checklist' }).waitFor();
    assert.ok(accept.length > 0 && accept.every((a) => a === 'en'), `Accept-Language: ${accept}`);
    // A refusal now comes back in English from the API.
    const module = page.locator('[data-form="record-module"]');
    await module.getByLabel('Module').selectOption('1');
    await module.getByRole('button', { name: 'Record' }).click();
    await module.getByRole('alert').waitFor();
    assert.match(await module.getByRole('alert').textContent(), /already/i);
    await shoot(page, '08-hire-english', { fullPage: false });
    await page.getByRole('button', { name: 'Switch language to Swedish' }).click();
    assert.equal(await page.locator('html').getAttribute('lang'), 'sv');
  });
});

describe('administrator', () => {
  test('sees their open preparation tasks, earliest first, and ticks one off in place', async () => {
    const page = await newPage();
    await signIn(page, tokens.adam);
    await page.waitForURL(/#\/tasks$/);
    await page.locator('[data-count]').waitFor();
    const count = Number(await page.locator('[data-count]').getAttribute('data-count'));
    assert.ok(count >= 20, `AD tasks: ${count}`);
    const dues = await page.locator('.task-list time').allTextContents();
    assert.deepEqual(dues, [...dues].sort(), 'ordered by due date');
    // Only hires of Adam's unit.
    assert.equal(await page.locator(`[data-hire="${centrumHire}"]`).count(), 0);
    await shoot(page, '09-tasks', { fullPage: false });
    const first = page.locator('.task-list li').first();
    const item = await first.getAttribute('data-task');
    const text = await first.locator('label').textContent();
    await page.getByLabel('Klart datum för det du bockar av').fill(day(-1));
    await page.locator(`.task-list li[data-task="${item}"] input[type="checkbox"]`).click();
    await page.locator(`[data-count="${count - 1}"]`).waitFor();
    assert.equal(await page.locator(`.task-list li[data-task="${item}"]`).count(), 0);
    await page.waitForFunction((t) => document.querySelector('[data-live]')?.textContent.includes(t), `Klar: ${text}`);
    // The log has it: the task is no longer open.
    const open = (await client(server.base, tokens.adam)('GET', '/tasks?mine=1')).json;
    assert.equal(open.length, count - 1);
    assert.ok(!open.some((t) => t.item === item && t.hire === saraHire));
    await page.context().close();
  });
});

describe('auditor', () => {
  test('moves the date back and sees the earlier state; the chain is verified; the export downloads', async () => {
    const page = await newPage();
    await signIn(page, tokens.rut);
    await page.waitForURL(/#\/audit$/);
    await page.locator('[data-chain="ok"]').waitFor();
    assert.match(await page.locator('[data-chain="ok"]').textContent(), /Kedjan verifierad/);
    await shoot(page, '10-audit');
    await page.getByRole('link', { name: 'Historik för Sara Lind' }).click();
    await page.getByRole('heading', { level: 1, name: 'Historik: Sara Lind' }).waitFor();
    await page.locator('[data-chain="ok"]').waitFor();
    const eventsNow = await page.locator('.event-list > li').count();
    assert.ok(eventsNow >= 8, `events: ${eventsNow}`);
    assert.ok((await page.locator('.event-list .actor').first().textContent()).includes('anna.berg@goteborg.se'));
    const prepNow = await progressOf(page, '[data-progress]', 'Förberedelser');
    assert.ok(prepNow >= 5, `preparation now: ${prepNow}`);
    assert.equal(await page.locator('[data-asof-state] dd[data-lifecycle]').getAttribute('data-lifecycle'), 'Active');
    await shoot(page, '11-timeline', { fullPage: false });
    await shoot(page, '11-timeline-events', { fullPage: false, scrollTo: '#events-title' });

    // What had happened by 28 days ago (effective): before the first day and before any item.
    await page.getByLabel('Visa resan per datum').fill(day(-28));
    await page.getByLabel('Det som hade hänt då').check();
    await page.getByRole('button', { name: 'Visa' }).click();
    await page.locator(`[data-viewing="${day(-28)}"]`).waitFor();
    await page.locator('[data-asof-state] dd[data-lifecycle="Preboarding"]').waitFor();
    assert.equal(await progressOf(page, '[data-progress]', 'Förberedelser'), 0);
    // By 24 days ago the items ticked with 25 days ago as their date had happened:
    // the page shows what the API says for that date, and less than today.
    const then = (await client(server.base, tokens.rut)('GET', `/hires/${saraHire}?as_of=${day(-24)}&basis=effective`)).json;
    const prepThen = then.parts.find((p) => p.part === 'preparation').done;
    assert.ok(prepThen >= 2 && prepThen < prepNow, `preparation then: ${prepThen}, now: ${prepNow}`);
    await page.getByLabel('Visa resan per datum').fill(day(-24));
    await page.getByRole('button', { name: 'Visa' }).click();
    await page.locator(`[data-viewing="${day(-24)}"]`).waitFor();
    await page.waitForFunction(
      (n) => document.querySelector('[data-progress] [role="progressbar"][aria-label="Förberedelser"]')?.getAttribute('aria-valuenow') === String(n),
      prepThen,
    );
    await page.locator('[data-chain="ok"]').waitFor();
    await shoot(page, '12-timeline-as-of', { fullPage: false });

    // What was known on that day (recorded): nothing, the hire was registered today.
    // A 404 that names the parameter is an input error beside the date, not "forbidden".
    await page.getByLabel('Det som var känt då').check();
    await page.getByRole('button', { name: 'Visa' }).click();
    await page.locator('[data-error-for="as_of"]').waitFor();
    assert.match(await page.locator('[data-error-for="as_of"]').textContent(), /inte registrerad/);
    assert.equal(await page.locator('[data-state="forbidden"]').count(), 0);
    await page.getByRole('button', { name: 'I dag' }).click();
    await page.locator('[data-viewing="today"]').waitFor();

    // The export needs the Authorization header: fetched, then offered as a download.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Exportera CSV' }).click()]);
    assert.match(download.suggestedFilename(), new RegExp(`^${saraHire}-.*\\.csv$`));
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^position,version,recorded_at,effective_at,actor,type,details,hash,prev_hash/);
    assert.ok(csv.includes('ChecklistItemCompleted'));
    await page.locator('[data-download]').waitFor();
    await page.context().close();
  });
});

describe('forbidden pages stay forbidden', () => {
  test('an administrator opening the audit timeline of a hire outside their units sees "Åtkomst nekad", and no data', async () => {
    const page = await newPage();
    await signIn(page, tokens.adam);
    await page.goto(`${server.base}/#/audit/${centrumHire}`);
    await page.locator('[data-state="forbidden"]').waitFor();
    assert.match(await page.locator('h1').textContent(), /Åtkomst nekad/);
    await page.waitForTimeout(1000); // nothing arrives later
    assert.equal(await page.locator('[data-state="forbidden"]').count(), 1);
    assert.equal(await page.getByText('Hemlig Centrumsson').count(), 0);
    await shoot(page, '13-forbidden');
    // Even a timeline in their own unit is not an administrator's page.
    await page.goto(`${server.base}/#/audit/${saraHire}`);
    await page.locator('[data-state="forbidden"]').waitFor();
    assert.equal(await page.locator('.event-list').count(), 0);
    await page.context().close();
  });

  test('a unit head opening a hire of another unit gets the API\'s 404 as "Åtkomst nekad", and no data', async () => {
    const page = await newPage();
    await signIn(page, tokens.anna);
    const requests = [];
    page.on('response', (r) => {
      if (r.url().includes(`/v1/hires/${centrumHire}`)) requests.push(r.status());
    });
    await page.goto(`${server.base}/#/hires/${centrumHire}`);
    await page.locator('[data-state="forbidden"]').waitFor();
    assert.deepEqual([...new Set(requests)], [404]);
    await page.waitForTimeout(1000);
    assert.equal(await page.locator('[data-state="forbidden"]').count(), 1);
    assert.equal(await page.getByText('Hemlig Centrumsson').count(), 0);
    assert.equal(await page.locator('.checklist').count(), 0);
    await page.context().close();
  });

  test('an auditor may not open the unit head\'s hire page, nor an unknown route', async () => {
    const page = await newPage();
    await signIn(page, tokens.rut);
    await page.goto(`${server.base}/#/hires/${saraHire}`);
    await page.locator('[data-state="forbidden"]').waitFor();
    assert.equal(await page.locator('.checklist').count(), 0);
    await page.goto(`${server.base}/#/import`);
    await page.locator('[data-state="forbidden"]').waitFor();
    await page.context().close();
  });
});

describe('admin', () => {
  test('imports a CSV from the HR system and sees the per-row report', async () => {
    const page = await newPage();
    await signIn(page, tokens.admin);
    await page.goto(`${server.base}/#/import`);
    await page.getByRole('heading', { name: 'Importera från HR-systemet' }).waitFor();
    const csv = [
      'name,email,unit,start,experienced,introducer,introducer_email',
      `Omar Ali,omar.ali@goteborg.se,${HISINGEN},${day(10)},nej,Karin Ek,karin.ek@goteborg.se`,
      `Lisa Berg,lisa.berg@goteborg.se,${CENTRUM},${day(20)},ja,,`,
      `Fel Rad,inte-en-adress,${HISINGEN},${day(30)},nej,,`,
    ].join('\n');
    await page.getByLabel('CSV-fil').setInputFiles({ name: 'hr.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForFunction(() => document.querySelector('textarea')?.value.includes('Omar Ali'));
    await page.getByRole('button', { name: 'Importera' }).click();
    await page.locator('[data-report]').waitFor();
    const outcomes = await page.locator('[data-report] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-outcome')));
    assert.deepEqual(outcomes, ['registered', 'registered', 'rejected']);
    assert.match(await page.locator('[data-report] .count').textContent(), /2 registrerade, 0 fanns redan, 1 avvisade/);
    await shoot(page, '14-import');
    // The same file again adds no one twice.
    await page.getByRole('button', { name: 'Importera' }).click();
    await page.locator('[data-report] .count').filter({ hasText: '0 registrerade, 2 fanns redan' }).waitFor();
    await page.context().close();
  });
});

describe('corrections', () => {
  // A hire of Anna's unit with a first day and a whole course behind her,
  // recorded through the API; the corrections are made in the browser.
  let nils;
  let page;
  const history = () => page.locator('[data-history]');
  const row = (type, text) => history().locator(`li[data-type="${type}"]`, text ? { hasText: text } : {});
  const versionOf = async (locator) => Number(await locator.getAttribute('data-version'));
  const pageVersion = () => page.locator('article.hire').getAttribute('data-version');
  const corrections = [];

  before(async () => {
    const anna = client(server.base, tokens.anna);
    nils = (
      await anna('POST', '/hires', {
        name: 'Nils Holm',
        email: 'nils.holm@goteborg.se',
        unit: HISINGEN,
        start: day(-30),
        introducer: { name: 'Karin Ek', email: 'karin.ek@goteborg.se' },
      })
    ).json.hire;
    const record = (command) => anna('POST', `/hires/${nils}/events`, command);
    await record({ kind: 'started', on: day(-30) });
    await record({ kind: 'course-booked', starts: day(-20) });
    for (let n = 1; n <= 8; n++) await record({ kind: 'module', number: n, on: day(-15) });
    for (const part of ['A', 'B', 'C', 'D']) await record({ kind: 'bbic', part, on: day(-15) });
    await record({ kind: 'course-completed', on: day(-5) });
    page = await newPage();
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith(`/v1/hires/${nils}/corrections`))
        corrections.push({ body: r.postDataJSON(), headers: r.headers() });
    });
    await signIn(page, tokens.anna);
    await page.goto(`${server.base}/#/hires/${nils}`);
    await page.getByRole('heading', { level: 1, name: 'Nils Holm' }).waitFor();
  });
  after(async () => page.context().close());

  test('a done date ticked wrong is corrected from the hire page: the checklist shows the corrected date, the history the original struck through and the correction with reason and actor', async () => {
    // Ticked with the wrong date, in the browser.
    await page.getByLabel('Klart datum för det du bockar av').fill(day(-40));
    await page.getByLabel('Informera enheten om den nya medarbetaren').check();
    await page.locator('[data-item="ec.informera-enheten"][data-state="done"]').waitFor();
    const original = row('ChecklistItemCompleted', 'ec.informera-enheten');
    await original.waitFor();
    const target = await versionOf(original);

    await original.getByRole('button', { name: `Rätta händelse ${target}: Moment klart` }).click();
    const form = original.locator('[data-correction-form="correct"]');
    await form.waitFor();
    // Prefilled with the fact as recorded, the keyboard in the form.
    assert.equal(await form.getByLabel('Datum').inputValue(), day(-40));
    assert.equal(await form.getByLabel('Moment').inputValue(), 'ec.informera-enheten');
    await page.waitForFunction(() => Boolean(document.activeElement?.closest('[data-correction-form]')));
    assert.deepEqual(await checkAccessibility(page), []);
    await form.getByLabel('Datum').fill(day(-35));
    await form.getByLabel('Varför var det fel?').fill('Fel datum: enheten informerades en vecka senare.');
    await shoot(page, '15-hire-correction', { fullPage: false, scrollTo: `li[data-version="${target}"]` });
    const before = await pageVersion();
    await form.getByRole('button', { name: 'Spara rättelsen' }).click();

    // The checklist follows the status, corrections applied.
    await page.locator('[data-item="ec.informera-enheten"] .item-meta', { hasText: day(-35) }).waitFor();
    assert.notEqual(await pageVersion(), before);
    assert.equal(await page.locator('[data-item="ec.informera-enheten"]').getAttribute('data-state'), 'done');
    await page.waitForFunction(
      (n) => document.querySelector('[data-live]')?.textContent.includes(`Rättat: händelse ${n}`),
      target,
    );
    // Only what changed was sent, with If-Match and an Idempotency-Key.
    const sent = corrections.at(-1);
    assert.deepEqual(sent.body, {
      action: 'correct',
      event: target,
      reason: 'Fel datum: enheten informerades en vecka senare.',
      replacement: { on: day(-35) },
    });
    assert.equal(sent.headers['if-match'], before);
    assert.ok(sent.headers['idempotency-key']);

    // The original stays, struck through, naming the correction ...
    const fixed = history().locator(`li[data-version="${target}"]`);
    assert.equal(await fixed.getAttribute('data-state'), 'corrected');
    const correction = row('EventCorrected');
    const by = await versionOf(correction);
    assert.match(await fixed.locator('[data-mark="corrected"]').textContent(), new RegExp(`rättad i händelse ${by}$`));
    assert.equal(await fixed.locator('.event-details s').count(), 1);
    // ... and the correction says what, why, who and when.
    assert.match(await correction.locator('.event-details').textContent(), new RegExp(`Rättar händelse ${target} \\(Moment klart\\)`));
    assert.match(await correction.locator('[data-change="on"]').textContent(), new RegExp(`Datum: ${day(-40)} → ${day(-35)}`));
    assert.match(await correction.locator('[data-reason]').textContent(), /Fel datum: enheten informerades en vecka senare\./);
    assert.match(await correction.locator('.actor').textContent(), /anna\.berg@goteborg\.se/);
    assert.ok(await correction.locator('time').getAttribute('datetime'));
    await shoot(page, '16-hire-history', { fullPage: false, scrollTo: '#history-title' });
  });

  test('a correction without a reason, or with a date in the future, is refused beside the field it names and records nothing', async () => {
    const started = row('HireStarted');
    const v = await versionOf(started);
    await started.getByRole('button', { name: /^Rätta händelse/ }).click();
    const form = started.locator('[data-correction-form="correct"]');
    await form.getByLabel('Datum').fill(day(-29));
    const before = await pageVersion();
    const sentBefore = corrections.length;

    // Empty: caught before anything is sent, beside the reason.
    await form.getByRole('button', { name: 'Spara rättelsen' }).click();
    const reasonError = form.locator('[data-error-for="/reason"]');
    await reasonError.waitFor();
    assert.equal(await form.getByLabel('Varför var det fel?').getAttribute('aria-invalid'), 'true');
    assert.equal(corrections.length, sentBefore);
    // Blanks only: the server's 422 names /reason, and that is where it shows.
    await form.getByLabel('Varför var det fel?').fill('   ');
    await form.getByRole('button', { name: 'Spara rättelsen' }).click();
    await form.locator('[data-error-for="/reason"]', { hasText: /måste anges/ }).waitFor();
    assert.equal(corrections.length, sentBefore + 1);
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-api-name') === '/reason');
    assert.equal(await form.getByRole('alert').count(), 0, 'a field error is not a general one');

    // A date in the future: the server names /replacement/on, the date field shows it.
    await form.getByLabel('Datum').fill(day(5));
    await form.getByLabel('Varför var det fel?').fill('Skrev fel dag');
    await form.getByRole('button', { name: 'Spara rättelsen' }).click();
    await form.locator('[data-error-for="/replacement/on"]', { hasText: /framtiden/ }).waitFor();
    assert.equal(await form.getByLabel('Datum').getAttribute('aria-invalid'), 'true');
    assert.equal(await form.locator('[data-error-for="/reason"]').count(), 0);
    await shoot(page, '17-hire-correction-refused', { fullPage: false, scrollTo: `li[data-version="${v}"]` });

    // Nothing was recorded; Escape closes the form and gives the keyboard back.
    assert.equal(await pageVersion(), before);
    assert.equal(await row('EventCorrected').count(), 1);
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });
    await page.waitForFunction((id) => document.activeElement?.id === id, `correct-${v}`);
  });

  test('retracting a module of a completed course is refused with the server\'s reason naming the completion; nothing changes', async () => {
    const module = row('CourseModuleAttended', 'modul 8');
    const v = await versionOf(module);
    const completed = await versionOf(row('CourseCompleted'));
    const course = () => progressOf(page, '[data-progress]', 'Introduktionsprogram');
    const courseBefore = await course();
    const before = await pageVersion();
    await module.getByRole('button', { name: `Stryk händelse ${v}: Kursmodul genomförd` }).click();
    const form = module.locator('[data-correction-form="retract"]');
    await form.getByLabel('Varför ska händelsen strykas?').fill('Modul 8 gick hon aldrig');
    await form.getByRole('button', { name: `Stryk händelse ${v}` }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    const text = await alert.textContent();
    assert.match(text, new RegExp(`händelse ${completed} \\(Introduktionsprogram klart\\)`));
    assert.match(text, /Rätta eller stryk händelse \d+ först/);
    assert.equal(await pageVersion(), before);
    assert.equal(await module.getAttribute('data-state'), 'standing');
    assert.equal(await row('EventRetracted').count(), 0);
    assert.equal(await course(), courseBefore);
    await shoot(page, '18-hire-retract-refused', { fullPage: false, scrollTo: `li[data-version="${v}"]` });
    await form.getByRole('button', { name: 'Avbryt' }).click();
  });

  test('a retracted checklist item is open again in the checklist, and its row offers no more actions', async () => {
    await client(server.base, tokens.anna)('POST', `/hires/${nils}/events`, { kind: 'item', item: 'ec.informera-administrator', on: day(-36) });
    await page.reload();
    await page.locator('[data-item="ec.informera-administrator"][data-state="done"]').waitFor();
    const prep = () => progressOf(page, '[data-progress]', 'Förberedelser');
    const prepBefore = await prep();
    const item = row('ChecklistItemCompleted', 'ec.informera-administrator');
    const v = await versionOf(item);
    await item.getByRole('button', { name: /^Stryk händelse/ }).click();
    const form = item.locator('[data-correction-form="retract"]');
    await form.getByLabel('Varför ska händelsen strykas?').fill('Bockades av för fel nyanställd');
    await form.getByRole('button', { name: `Stryk händelse ${v}` }).click();

    await page.locator('[data-item="ec.informera-administrator"][data-state="open"]').waitFor();
    const box = page.getByLabel('Informera administratör om anställningen');
    assert.equal(await box.isChecked(), false);
    assert.equal(await box.isEnabled(), true);
    assert.equal(await prep(), prepBefore - 1);
    const struck = history().locator(`li[data-version="${v}"]`);
    assert.equal(await struck.getAttribute('data-state'), 'retracted');
    const retraction = row('EventRetracted');
    assert.match(await struck.locator('[data-mark="retracted"]').textContent(), new RegExp(`struken i händelse ${await versionOf(retraction)}`));
    assert.equal(await struck.getByRole('button').count(), 0);
    assert.match(await retraction.locator('.event-details').textContent(), new RegExp(`Stryker händelse ${v} \\(Moment klart\\)`));
    assert.match(await retraction.locator('[data-reason]').textContent(), /fel nyanställd/);
    assert.deepEqual(corrections.at(-1).body, { action: 'retract', event: v, reason: 'Bockades av för fel nyanställd' });
  });

  test('the registration\'s correction form offers only name, e-mail and first day; a corrected name shows at once', async () => {
    const registration = row('HireRegistered');
    assert.equal(await registration.getByRole('button', { name: /^Stryk/ }).count(), 0, 'a registration is not retracted');
    await registration.getByRole('button', { name: /^Rätta händelse 1/ }).click();
    const form = registration.locator('[data-correction-form="correct"]');
    const labels = await form.locator('.field > label').allTextContents();
    assert.deepEqual(labels, ['Namn', 'E-post', 'Första arbetsdag', 'Varför var det fel?']);
    assert.equal(await form.getByLabel('Namn').inputValue(), 'Nils Holm');
    await form.getByLabel('Namn').fill('Nils Holmberg');
    await form.getByLabel('Varför var det fel?').fill('Stavfel i efternamnet');
    await form.getByRole('button', { name: 'Spara rättelsen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nils Holmberg' }).waitFor();
    assert.deepEqual(corrections.at(-1).body.replacement, { name: 'Nils Holmberg' });
    assert.match(await row('EventCorrected', 'Stavfel').locator('[data-change="name"]').textContent(), /Namn: Nils Holm → Nils Holmberg/);
  });

  test('the auditor\'s timeline shows the original, the correction, who made it, when and why, and offers no actions', async () => {
    const rut = await newPage();
    await signIn(rut, tokens.rut);
    await rut.goto(`${server.base}/#/audit/${nils}`);
    await rut.getByRole('heading', { level: 1, name: 'Historik: Nils Holmberg' }).waitFor();
    const events = rut.locator('.event-list');
    const original = events.locator('li[data-type="ChecklistItemCompleted"]', { hasText: 'ec.informera-enheten' });
    await original.waitFor();
    assert.equal(await original.getAttribute('data-state'), 'corrected');
    assert.equal(await original.locator('.event-details s').count(), 1);
    const correction = events.locator('li[data-type="EventCorrected"]', { hasText: 'Fel datum' });
    assert.match(await correction.locator('[data-change="on"]').textContent(), new RegExp(`${day(-40)} → ${day(-35)}`));
    assert.match(await correction.locator('.actor').textContent(), /anna\.berg@goteborg\.se/);
    assert.ok(await correction.locator('time').first().getAttribute('datetime'));
    assert.match(await original.locator('[data-mark="corrected"]').textContent(), new RegExp(`rättad i händelse ${await versionOf(correction)}`));
    const retracted = events.locator('li[data-state="retracted"]');
    assert.equal(await retracted.count(), 1);
    assert.match(await events.locator('li[data-type="EventRetracted"] [data-reason]').textContent(), /fel nyanställd/);
    assert.equal(await events.getByRole('button').count(), 0);
    assert.deepEqual(await checkAccessibility(rut), []);
    await shoot(rut, '19-timeline-corrections', { fullPage: false, scrollTo: '#events-title' });
    await rut.context().close();
  });
});

describe('damaged hires', () => {
  // No entrance writes a record that does not decode (value_domain.h: what
  // gets in can be read back), and journeyctl has no way to plant one. So the
  // hire here is real (registered, first day recorded) but its READS are
  // rewritten in the browser, with page.route, into what journeyd answers for
  // a damaged hire (adapters/http/api.cc damaged_json, damaged_problem;
  // engine records_of): the list row, the status's 409 hire_damaged, and the
  // history whose record 2 carries `damage` and no `event`. The correction
  // that repairs it is real: it goes to journeyd, which records it.
  let marta;
  let broken;
  const DAMAGE = () => `${marta} event ${broken} (HireStarted): does not decode: payload truncated`;
  const detail = () =>
    `Den nyanställdas historik (${marta}) är skadad och kan inte läsas: ${DAMAGE()}. Inget mer kan registreras förrän den skadade händelsen har rättats eller strukits, eller en administratör har återställt loggen från en säkerhetskopia.`;

  before(async () => {
    const anna = client(server.base, tokens.anna);
    marta = (await anna('POST', '/hires', { name: 'Märta Ek', email: 'marta.ek@goteborg.se', unit: HISINGEN, start: day(-10) })).json.hire;
    await anna('POST', `/hires/${marta}/events`, { kind: 'started', on: day(-10) });
    const rows = (await anna('GET', `/hires/${marta}/history`)).json;
    broken = rows.find((r) => r.type === 'HireStarted').version;
  });

  async function damage(page) {
    const path = (url) => new URL(url).pathname;
    await page.route(
      (url) => path(url) === '/v1/hires',
      async (route) => {
        if (route.request().method() !== 'GET') return route.continue();
        const res = await route.fetch();
        const rows = (await res.json()).map((r) =>
          r.hire === marta
            ? { hire: r.hire, name: r.name, unit: r.unit, start: '', lifecycle: 'Damaged', overdue: 0, parts: [], damaged: true, damage: DAMAGE() }
            : r,
        );
        await route.fulfill({ response: res, json: rows });
      },
    );
    await page.route(
      (url) => path(url) === `/v1/hires/${marta}`,
      (route) =>
        route.request().method() !== 'GET'
          ? route.continue()
          : route.fulfill({
              status: 409,
              contentType: 'application/problem+json',
              body: JSON.stringify({
                type: 'https://journey.example/problems/hire_damaged',
                title: 'Konflikt',
                status: 409,
                code: 'hire_damaged',
                detail: detail(),
                hire: marta,
                damage: DAMAGE(),
              }),
            }),
    );
    await page.route(
      (url) => path(url) === `/v1/hires/${marta}/history`,
      async (route) => {
        const res = await route.fetch();
        const rows = (await res.json()).map((r) => {
          if (r.version !== broken) return r;
          const { event, ...rest } = r;
          return { ...rest, details: '(oläsbar)', damage: 'does not decode: payload truncated' };
        });
        await route.fulfill({ response: res, json: rows });
      },
    );
  }

  test('the overview renders a damaged hire as "Skadad" with the reason and no progress bars, linking to its page', async () => {
    const page = await newPage();
    await damage(page);
    await signIn(page, tokens.anna);
    const card = page.locator(`li[data-hire="${marta}"]`);
    await card.waitFor();
    assert.notEqual(await card.getAttribute('data-damaged'), null);
    assert.equal(await card.locator('.badge').textContent(), 'Skadad');
    assert.match(await card.locator('[data-damage]').textContent(), /does not decode: payload truncated/);
    assert.equal(await card.getByRole('progressbar').count(), 0);
    // The damaged hire comes first; the others still render with their bars.
    assert.equal(await page.locator('.hire-list > li').first().getAttribute('data-hire'), marta);
    assert.equal(await page.locator(`li[data-hire="${saraHire}"]`).getByRole('progressbar').count(), 4);
    assert.deepEqual(await checkAccessibility(page), []);
    await shoot(page, '20-hires-damaged');
    await card.getByRole('link', { name: 'Märta Ek' }).click();
    await page.waitForURL(new RegExp(`#/hires/${marta}$`));
    // A unit head sees why, and the unreadable record, but striking it is an admin's.
    await page.locator('[data-damage-notice]').waitFor();
    assert.match(await page.locator('[data-damage-detail]').textContent(), /är skadad och kan inte läsas/);
    const record = page.locator(`[data-history] li[data-version="${broken}"]`);
    assert.equal(await record.getAttribute('data-state'), 'damaged');
    assert.equal(await record.getByRole('button').count(), 0);
    assert.match(await record.textContent(), /Bara en systemadministratör kan stryka/);
    // The registration can be corrected, never retracted.
    const registration = page.locator('[data-history] li[data-version="1"]');
    assert.equal(await registration.getByRole('button', { name: /^Rätta/ }).count(), 1);
    assert.equal(await registration.getByRole('button', { name: /^Stryk/ }).count(), 0);
    await page.context().close();
  });

  test('an admin opens the damaged hire, sees the reason and the unreadable record, and repairs it by retracting it', async () => {
    const page = await newPage();
    await damage(page);
    const sent = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/corrections')) sent.push({ body: r.postDataJSON(), headers: r.headers() });
    });
    await signIn(page, tokens.admin);
    await page.goto(`${server.base}/#/hires/${marta}`);
    await page.getByRole('heading', { level: 1, name: 'Märta Ek' }).waitFor();
    assert.notEqual(await page.locator('article.hire').getAttribute('data-damaged'), null);
    assert.match(await page.locator('[data-damage-detail]').textContent(), /payload truncated/);
    assert.equal(await page.locator('.checklist').count(), 0);
    const record = page.locator(`[data-history] li[data-version="${broken}"]`);
    assert.equal(await record.getAttribute('data-state'), 'damaged');
    assert.match(await record.locator('[data-mark="damaged"]').textContent(), /oläsbar/);
    assert.match(await record.locator('[data-damage]').textContent(), /does not decode: payload truncated/);
    assert.equal(await record.getByRole('button', { name: /^Rätta/ }).count(), 0, 'an unreadable record can only be struck');
    assert.deepEqual(await checkAccessibility(page), []);
    await shoot(page, '21-hire-damaged', { fullPage: false });

    // The timeline shows the same, without a state.
    await page.getByRole('link', { name: 'Visa historik' }).click();
    await page.getByRole('heading', { level: 1, name: 'Historik: Märta Ek' }).waitFor();
    await page.locator('[data-damage-notice]').waitFor();
    assert.equal(await page.locator(`.event-list li[data-version="${broken}"]`).getAttribute('data-state'), 'damaged');
    assert.equal(await page.locator('[data-asof-state]').count(), 0);
    await page.goBack();
    await page.locator('[data-damage-notice]').waitFor();

    await record.getByRole('button', { name: `Stryk händelse ${broken}: Första arbetsdagen` }).click();
    const form = record.locator('[data-correction-form="retract"]');
    await form.getByLabel('Varför ska händelsen strykas?').fill('Oläsbar post');
    // From here on journeyd answers for itself: the real hire is not damaged.
    await page.unrouteAll({ behavior: 'wait' });
    await form.getByRole('button', { name: `Stryk händelse ${broken}` }).click();
    await page.locator('article.hire:not([data-damaged])').waitFor();
    assert.deepEqual(sent.at(-1).body, { action: 'retract', event: broken, reason: 'Oläsbar post' });
    // No status, no ETag: If-Match is the newest record's version.
    assert.equal(sent.at(-1).headers['if-match'], `"${broken}"`);
    await page.locator(`[data-history] li[data-version="${broken}"][data-state="retracted"]`).waitFor();
    await page.context().close();
  });
});

describe('accessibility', () => {
  const pages = [
    ['sign-in', null, '/'],
    ['hires', 'anna', '/#/hires'],
    ['register', 'anna', '/#/hires/new'],
    ['hire', 'anna', () => `/#/hires/${saraHire}`],
    ['tasks', 'adam', '/#/tasks'],
    ['audit', 'rut', '/#/audit'],
    ['timeline', 'rut', () => `/#/audit/${saraHire}`],
    ['import', 'admin', '/#/import'],
    ['forbidden', 'adam', () => `/#/audit/${centrumHire}`],
  ];
  for (const [name, who, route] of pages) {
    test(`${name}: every control has a label, every button a name, progress bars carry their values`, async () => {
      const page = await newPage();
      if (who) await signIn(page, tokens[who]);
      await page.goto(server.base + (typeof route === 'function' ? route() : route));
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const problems = await checkAccessibility(page);
      assert.deepEqual(problems, []);
      await page.context().close();
    });
  }

  test('keyboard: Tab reaches the main controls of the hire page in order, with a visible focus', async () => {
    const page = await newPage();
    await signIn(page, tokens.anna);
    await page.goto(`${server.base}/#/hires/${saraHire}`);
    await page.reload(); // a fresh load: focus starts at the top of the page
    await page.locator('#checklist-date').waitFor();
    const stops = await tabStops(page, 60);
    const at = (pred) => stops.findIndex(pred);
    const skip = at((s) => s.text === 'Hoppa till innehållet');
    const lang = at((s) => s.text === 'English');
    const signout = at((s) => s.text === 'Logga ut');
    const date = at((s) => s.id === 'checklist-date');
    const firstItem = at((s) => s.tag === 'INPUT' && s.type === 'checkbox' && s.id.startsWith('item-'));
    assert.ok(skip >= 0 && lang > skip && signout > lang && date > signout && firstItem > date, JSON.stringify(stops.slice(0, 20)));
    assert.deepEqual(stops.filter((s) => !s.outline), [], 'every focused element shows a focus outline');
    await page.context().close();
  });

  test('the skip link moves the keyboard to the content', async () => {
    const page = await newPage();
    await signIn(page, tokens.adam);
    await page.reload(); // a fresh load: focus starts at the top of the page
    await page.locator('[data-count]').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Hoppa till innehållet');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.context().close();
  });
});

describe('the Content-Security-Policy', () => {
  test('was never violated, and no page threw', () => {
    assert.deepEqual(cspViolations, []);
  });
});
