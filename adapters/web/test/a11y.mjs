// Automated accessibility checks through the DOM: what a screen reader or a
// keyboard needs, without a third-party engine.

// Problems on the current page, as readable strings; [] when it passes.
export async function checkAccessibility(page) {
  return page.evaluate(() => {
    const problems = [];
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return s.visibility !== 'hidden' && s.display !== 'none' && (r.width > 0 || r.height > 0 || el.type === 'file');
    };
    const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.name ? `[name=${el.name}]` : ''}`;
    const named = (el) =>
      (el.labels && [...el.labels].some((l) => l.textContent.trim())) ||
      (el.getAttribute('aria-label') ?? '').trim() ||
      (el.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .some((id) => document.getElementById(id)?.textContent.trim());

    if (!['sv', 'en'].includes(document.documentElement.lang)) problems.push(`html lang is "${document.documentElement.lang}"`);
    if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 elements`);
    if (!document.querySelector('main')) problems.push('no <main> landmark');
    if (!document.querySelector('[aria-live]')) problems.push('no aria-live region for status messages');

    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden') continue;
      if (!named(el)) problems.push(`control without a label: ${describe(el)}`);
      if (el.labels && el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        problems.push(`control without a <label>: ${describe(el)}`);
      const described = el.getAttribute('aria-describedby');
      if (described) for (const id of described.split(/\s+/)) if (!document.getElementById(id)) problems.push(`${describe(el)} describedby missing #${id}`);
    }
    for (const el of document.querySelectorAll('button, a[href], [role="button"]')) {
      if (!visible(el)) continue;
      const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
      if (!name) problems.push(`${describe(el)} has no accessible name`);
    }
    // Anything clickable is a real button or link.
    for (const el of document.querySelectorAll('[onclick], div[tabindex="0"], span[tabindex="0"]'))
      problems.push(`clickable non-button: ${describe(el)}`);
    for (const el of document.querySelectorAll('[role="progressbar"]')) {
      for (const a of ['aria-valuenow', 'aria-valuemin', 'aria-valuemax', 'aria-label'])
        if (!el.hasAttribute(a)) problems.push(`progressbar without ${a}`);
    }
    for (const el of document.querySelectorAll('svg[role="img"]')) if (!named(el)) problems.push('chart without a text alternative');
    for (const el of document.querySelectorAll('table')) if (!el.querySelector('th')) problems.push('table without header cells');
    const ids = new Map();
    for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
    for (const [id, n] of ids) if (n > 1) problems.push(`duplicate id #${id}`);
    return problems;
  });
}

// Presses Tab from the top of the page and records where the focus lands.
export async function tabStops(page, max) {
  await page.evaluate(() => {
    document.activeElement?.blur?.();
    window.scrollTo(0, 0);
  });
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const s = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return {
        tag: el.tagName,
        id: el.id,
        type: el.getAttribute('type') ?? '',
        text: (el.getAttribute('aria-label') && el.tagName === 'BUTTON' ? el.textContent : el.textContent ?? '').trim().slice(0, 60),
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    if (!s) break;
    stops.push(s);
  }
  return stops;
}
