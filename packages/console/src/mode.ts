/**
 * The same app runs at `/ui` (the console, signed in with an API key) and at `/portal` (a
 * platform's customer, signed in by the portal session token in the link's fragment).
 */
export const isPortal = location.pathname === '/portal' || location.pathname.startsWith('/portal/');
export const BASE = isPortal ? '/portal' : '/ui';
