/** Client-side routes under /admin: the API answers every such path with the console's page. */

export const BASE = '/admin';

export interface Route {
  /** Path segments after /admin; ':name' matches one segment. */
  pattern: string;
  title: string;
  render: (
    main: HTMLElement,
    params: Record<string, string>,
    search: URLSearchParams,
  ) => Promise<void>;
}

let routes: Route[] = [];
let onChange: () => void = () => undefined;

export function setRoutes(list: Route[], changed: () => void): void {
  routes = list;
  onChange = changed;
}

/** The console path of a location ('/admin/users/1' -> 'users/1'). */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  return path.replace(/^\/+|\/+$/g, '');
}

export function match(path: string): { route: Route; params: Record<string, string> } | null {
  const segments = path === '' ? [] : path.split('/');
  for (const route of routes) {
    const parts = route.pattern === '' ? [] : route.pattern.split('/');
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matched = parts.every((part, index) => {
      if (part.startsWith(':')) {
        params[part.slice(1)] = decodeURIComponent(segments[index]);
        return true;
      }
      return part === segments[index];
    });
    if (matched) return { route, params };
  }
  return null;
}

/** An href inside the console. */
export const link = (path: string): string => `${BASE}/${path}`;

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = link(path);
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  onChange();
}

/** Links inside the console change the page without a reload (which would sign out). */
export function interceptLinks(): void {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element).closest('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
    if (url.hash && url.pathname === location.pathname) return;
    event.preventDefault();
    history.pushState(null, '', url.pathname + url.search);
    onChange();
  });
  window.addEventListener('popstate', () => onChange());
}
