// Hash routes ("#/hires/hire-1a2b"), so journeyd serves index.html for "/" only
// and every link works when opened in a new tab.
import { useEffect, useState } from 'preact/hooks';
import type { Role } from './api';

export type Route =
  | { page: 'home' }
  | { page: 'hires' }
  | { page: 'register' }
  | { page: 'hire'; hire: string }
  | { page: 'tasks' }
  | { page: 'audit' }
  | { page: 'timeline'; hire: string }
  | { page: 'import' }
  | { page: 'unknown' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'home' };
  const [a, b, c] = parts;
  if (a === 'hires' && !b) return { page: 'hires' };
  if (a === 'hires' && b === 'new' && !c) return { page: 'register' };
  if (a === 'hires' && b && !c) return { page: 'hire', hire: b };
  if (a === 'tasks' && !b) return { page: 'tasks' };
  if (a === 'audit' && !b) return { page: 'audit' };
  if (a === 'audit' && b && !c) return { page: 'timeline', hire: b };
  if (a === 'import' && !b) return { page: 'import' };
  return { page: 'unknown' };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/';
    case 'hire':
      return `#/hires/${encodeURIComponent(route.hire)}`;
    case 'timeline':
      return `#/audit/${encodeURIComponent(route.hire)}`;
    case 'register':
      return '#/hires/new';
    case 'unknown':
      return '#/';
    default:
      return `#/${route.page}`;
  }
}

// Which roles may open which page. The API decides what data anyone sees; this
// only keeps a role away from pages it has no use for (they show "forbidden").
export const pageRoles: Record<Exclude<Route['page'], 'home' | 'unknown'>, Role[]> = {
  hires: ['unit_head', 'admin'],
  register: ['unit_head', 'admin'],
  hire: ['unit_head', 'admin'],
  tasks: ['administrator', 'unit_head', 'introducer'],
  audit: ['auditor', 'admin'],
  timeline: ['auditor', 'admin'],
  import: ['admin'],
};

export function homeOf(role: Role): Route {
  switch (role) {
    case 'unit_head':
    case 'admin':
      return { page: 'hires' };
    case 'auditor':
      return { page: 'audit' };
    default:
      return { page: 'tasks' };
  }
}

// True once the user has moved between pages: from then on a new page takes
// the focus to its heading. On the first page, focus starts at the top (the
// skip link comes first).
let navigated = false;
if (typeof window !== 'undefined') window.addEventListener('hashchange', () => (navigated = true));
export function hasNavigated(): boolean {
  return navigated;
}
export function noteNavigated(): void {
  navigated = true;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}
