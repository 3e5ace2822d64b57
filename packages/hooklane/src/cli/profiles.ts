/**
 * Saved connections (`hooklane login`) and how a command decides which server, key and
 * account to use: command-line flags first; then, when a profile is named (`--profile` or
 * HOOKLANE_PROFILE), that profile before the environment; otherwise the environment
 * (HOOKLANE_URL, HOOKLANE_KEY, HOOKLANE_ACCOUNT) before the `default` profile. A profile's
 * account goes with its key: it is used only when the key in use is the profile's.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Connection, UsageError } from './api-client.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface Profile {
  readonly url: string;
  readonly key: string;
  readonly account?: string;
}

export interface ProfilesFile {
  readonly profiles: Record<string, Profile>;
}

/** The options every command accepts (declared once on the program). */
export interface GlobalOptions {
  readonly url?: string;
  readonly key?: string;
  readonly account?: string;
  readonly profile?: string;
  readonly json?: boolean;
}

export const DEFAULT_PROFILE = 'default';
export const DEFAULT_URL = 'http://127.0.0.1:8080';

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/** `$HOOKLANE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/hooklane`, else `~/.config/hooklane`. */
export function configDir(env: Env): string {
  const explicit = nonEmpty(env.HOOKLANE_CONFIG_DIR);
  if (explicit) return explicit;
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  return join(xdg ?? join(nonEmpty(env.HOME) ?? homedir(), '.config'), 'hooklane');
}

export function profilesPath(env: Env): string {
  return join(configDir(env), 'profiles.json');
}

export function readProfiles(env: Env): ProfilesFile {
  const path = profilesPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<ProfilesFile>;
    if (typeof parsed.profiles !== 'object' || parsed.profiles === null)
      throw new Error('no "profiles" object');
    return { profiles: parsed.profiles };
  } catch (error) {
    throw new UsageError(`${path} is not a valid profiles file (${(error as Error).message})`);
  }
}

/** Saves one profile, readable by its owner only (the file holds API keys). Returns the file's path. */
export function saveProfile(env: Env, name: string, profile: Profile): string {
  const dir = configDir(env);
  const path = profilesPath(env);
  const file = readProfiles(env);
  const next: ProfilesFile = { profiles: { ...file.profiles, [name]: profile } };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
  return path;
}

/** The profile name in use (`--profile`, else HOOKLANE_PROFILE), or undefined when none was named. */
export function namedProfile(options: GlobalOptions, env: Env): string | undefined {
  return nonEmpty(options.profile) ?? nonEmpty(env.HOOKLANE_PROFILE);
}

export function resolveConnection(options: GlobalOptions, env: Env): Connection {
  const named = namedProfile(options, env);
  const profiles = readProfiles(env).profiles;
  const profile = profiles[named ?? DEFAULT_PROFILE];
  if (named !== undefined && profile === undefined) {
    const known = Object.keys(profiles);
    throw new UsageError(
      `no profile "${named}" in ${profilesPath(env)}${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}; create it with \`hooklane login --profile ${named}\``,
    );
  }
  const fromEnv = {
    url: nonEmpty(env.HOOKLANE_URL),
    key: nonEmpty(env.HOOKLANE_KEY),
    account: nonEmpty(env.HOOKLANE_ACCOUNT),
  };
  const pick = (flag: string | undefined, environment: string | undefined, saved: string | undefined) =>
    nonEmpty(flag) ?? (named !== undefined ? (saved ?? environment) : (environment ?? saved));
  const key = pick(options.key, fromEnv.key, profile?.key) ?? null;
  const keyFromProfile = profile !== undefined && key !== null && key === profile.key;
  return {
    url: pick(options.url, fromEnv.url, profile?.url) ?? DEFAULT_URL,
    key,
    account: pick(options.account, fromEnv.account, keyFromProfile ? profile.account : undefined) ?? null,
    profile: keyFromProfile ? (named ?? DEFAULT_PROFILE) : null,
  };
}
