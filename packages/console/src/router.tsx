import { signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';

import { BASE } from './mode.ts';

// The app lives under /ui or /portal (mode.ts); the router deals in the paths below it.

const current = () => ({
  path: location.pathname.slice(BASE.length).replace(/\/+$/, '') || '/',
  search: new URLSearchParams(location.search),
});

/** The current path below the base (e.g. `/webhooks/wh_1`) and its query. */
export const route = signal(current());

addEventListener('popstate', () => {
  route.value = current();
});

export function navigate(to: string, replace = false): void {
  const url = BASE + (to === '/' ? '/' : to);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route.value = current();
  scrollTo(0, 0);
  // Move focus to the new screen's heading, so keyboard and screen-reader users land on it.
  queueMicrotask(() => requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus()));
}

/** Replaces the query of the current path (filters), without a new history entry. */
export function setQuery(params: Record<string, string>): void {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  const text = search.toString();
  history.replaceState(
    null,
    '',
    `${BASE}${route.value.path === '/' ? '/' : route.value.path}${text ? `?${text}` : ''}`,
  );
  route.value = current();
}

/**
 * Matches `pattern` (`/webhooks/:id`) against `path`; returns the named parts, or null.
 */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i] ?? '';
    const value = got[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(value);
    else if (part !== value) return null;
  }
  return params;
}

/** A link inside the app: a real `<a href>` (open in a new tab works), navigated without a reload. */
export function Link({
  href,
  children,
  class: className,
  nav,
}: {
  href: string;
  children: ComponentChildren;
  class?: string;
  /** A navigation link: `aria-current="page"` while its screen (or one below it) is shown. */
  nav?: boolean;
}) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
      return;
    event.preventDefault();
    navigate(href);
  };
  const active = !nav ? false : href === '/' ? route.value.path === '/' : route.value.path.startsWith(href);
  return (
    <a href={BASE + href} onClick={onClick} aria-current={active ? 'page' : undefined} class={className}>
      {children}
    </a>
  );
}
