import { signal } from '@preact/signals';
import { tabStorage } from './storage.ts';

/** The logo an embedding page asked for (`logo=https://...`), or null. */
export const portalLogo = signal<string | null>(null);

/** Black or white text, whichever reads better on `hex` (WCAG relative luminance). */
function textOn(hex: string): string {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, (c) => c + c) : hex.slice(0, 7);
  const channel = (i: number) => {
    const c = Number.parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.179 ? '#000000' : '#ffffff';
}

/**
 * The embedding page's branding, from the URL parameters before the fragment: `accent` (a hex
 * colour), `logo` (an https URL) and `theme` (`dark` or `light`; otherwise the system's). A
 * value that does not parse is ignored, so a mistyped link still shows a usable page.
 */
export function applyBranding(from: URLSearchParams): void {
  // The app's own navigation replaces the query, so the branding is kept for a reload of the tab.
  const BRANDING = 'hooklane.portal-branding';
  const given = ['accent', 'logo', 'theme'].some((name) => from.has(name));
  if (given) tabStorage.setItem(BRANDING, from.toString());
  const search = given ? from : new URLSearchParams(tabStorage.getItem(BRANDING) ?? '');
  const root = document.documentElement;
  const accent = search.get('accent');
  if (accent && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(accent)) {
    root.style.setProperty('--accent', accent);
    root.style.setProperty('--focus', accent);
    root.style.setProperty('--accent-fg', textOn(accent));
  }
  const logo = search.get('logo');
  if (logo) {
    try {
      if (new URL(logo).protocol === 'https:') portalLogo.value = logo;
    } catch {
      // not a URL: no logo
    }
  }
  const theme = search.get('theme');
  const dark = theme === 'dark' || (theme !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
  root.dataset.theme = dark ? 'dark' : 'light';
  root.classList.add('portal');
}

/**
 * Tells the framing page the document's height on every layout change, so that it sizes the
 * frame and the frame never scrolls on its own. The height is no secret: any origin may read it.
 */
export function postHeightToParent(): void {
  if (window.parent === window) return;
  let last = -1;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'hooklane:height', height }, '*');
  };
  new ResizeObserver(post).observe(document.documentElement);
  post();
}
