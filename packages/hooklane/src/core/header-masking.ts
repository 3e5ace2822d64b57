import type { Role } from './model.ts';
import { SET_BY_HOOKLANE } from './static-headers.ts';

/** What every masked header value reads as, wherever it is shown. */
export const MASKED_VALUE = '[hidden]';

const SIGNATURES = ['x-apc-signature', 'webhook-signature'];

/** Static header values are credentials: only the account's admins (and root) read them. */
export function mayReadHeaderValues(role: Role): boolean {
  return role === 'admin' || role === 'root';
}

/**
 * Headers as `role` may see them: a webhook's static headers, or an attempt's request
 * headers. Every value but those of the headers Hooklane sets itself is masked for a role
 * that may not read credentials (an attempt logged before static values were masked in the
 * log still holds them in clear); names always show.
 */
export function headersForRole(
  headers: Readonly<Record<string, string>>,
  role: Role,
): Record<string, string> {
  if (mayReadHeaderValues(role)) return { ...headers };
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      SET_BY_HOOKLANE.includes(name) ? value : MASKED_VALUE,
    ]),
  );
}

/**
 * An attempt's request headers as its log keeps them, for every role: static header values
 * masked, and signatures (proxies of the secret) shortened.
 */
export function redactRequestHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => {
      if (SIGNATURES.includes(name))
        return [
          name,
          value
            .split(' ')
            .map((part) => `${part.slice(0, 12)}…`)
            .join(' '),
        ];
      return [name, SET_BY_HOOKLANE.includes(name) ? value : MASKED_VALUE];
    }),
  );
}
