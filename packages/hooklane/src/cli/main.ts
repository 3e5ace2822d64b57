/**
 * The `hooklane` command line: builds the commander program and maps every outcome to an
 * exit code scripts can trust — 0 ok, 1 the API refused (or a check failed), 2 usage or
 * configuration, 3 the server cannot be reached.
 */
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { ApiClient, ApiError, CliError, EXIT } from './api-client.ts';
import { registerAccounts } from './commands/accounts.ts';
import { registerDeliveries } from './commands/deliveries.ts';
import { registerEvents } from './commands/events.ts';
import { registerKeys } from './commands/keys.ts';
import { registerListen } from './commands/listen.ts';
import { registerLogin } from './commands/login.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerPortal } from './commands/portal.ts';
import { registerRootKey } from './commands/root-key.ts';
import { registerStart } from './commands/start.ts';
import { registerStats } from './commands/stats.ts';
import { registerVerify } from './commands/verify.ts';
import { registerWebhooks } from './commands/webhooks.ts';
import { type Palette, palette } from './output.ts';
import { type GlobalOptions, resolveConnection } from './profiles.ts';

/** What every command is given: the environment and the resolved options of its invocation. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  /** Colours for stdout (off when it is not a TTY or NO_COLOR is set). */
  readonly paint: Palette;
  /** Colours for stderr. */
  readonly paintErr: Palette;
  globals(command: Command): GlobalOptions;
  /** A client for the server, key and account resolved from flags, environment and profile. */
  client(command: Command): ApiClient;
  /** {@link client}, with its account settled: given, or the key's own (an account key's). */
  accountClient(command: Command): Promise<ApiClient>;
}

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the API answered with an error (its code and message are printed on stderr),
     or a check failed (verify: invalid signature; webhooks test: the endpoint failed)
  2  usage or configuration error (bad arguments, no key or account, unreadable file,
     root-key rotate on an embedded store a server is using), or a confirmation declined
     (or not given with --yes when there is no terminal to ask on)
  3  the server cannot be reached`;

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const ctx: CliContext = {
    env,
    paint: palette(process.stdout, env),
    paintErr: palette(process.stderr, env),
    globals: (command) => command.optsWithGlobals<GlobalOptions>(),
    client: (command) => new ApiClient(resolveConnection(command.optsWithGlobals<GlobalOptions>(), env)),
    async accountClient(command) {
      const client = this.client(command);
      await client.resolveAccount();
      return client;
    },
  };

  // Settings made before .command() are inherited by every subcommand.
  const program = new Command('hooklane')
    .description('Command-line client and server launcher for Hooklane, the webhook server.')
    .version(packageJson.version, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .option('--url <url>', 'server URL (env HOOKLANE_URL; default http://127.0.0.1:8080)')
    .option('--key <key>', 'API key (env HOOKLANE_KEY)')
    .option('--account <id>', 'account id (env HOOKLANE_ACCOUNT)')
    .option('--profile <name>', 'saved profile to use (env HOOKLANE_PROFILE; see `hooklane login`)')
    .option('--json', 'print the raw API JSON on stdout');

  registerStart(program, ctx);
  registerMigrate(program, ctx);
  registerRootKey(program, ctx);
  registerLogin(program, ctx);
  registerAccounts(program, ctx);
  registerKeys(program, ctx);
  registerWebhooks(program, ctx);
  registerEvents(program, ctx);
  registerDeliveries(program, ctx);
  registerStats(program, ctx);
  registerPortal(program, ctx);
  registerVerify(program, ctx);
  registerListen(program, ctx);

  program.addHelpText(
    'after',
    `
Examples:
  $ hooklane start                                    # run the server (same environment as npm start)
  $ hooklane login --url https://hooks.example.com --key hlk_...   # the key's account is saved with it
  $ hooklane webhooks create https://example.com/hooks --events flow_completed,nps_score
  $ hooklane events send --sample flow_completed
  $ hooklane deliveries list --status failed
  $ hooklane stats
  $ hooklane listen --forward-to http://localhost:3000/hooks
${EXIT_CODES_HELP}

Documentation: docs/cli.md`,
  );
  return program;
}

function report(error: CliError, ctx: { paintErr: Palette }): void {
  const lines = [`${ctx.paintErr.red('hooklane:')} ${error.message}`];
  if (error instanceof ApiError && error.details !== undefined && error.details !== null) {
    lines.push(`  details: ${JSON.stringify(error.details)}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** Runs the CLI on `argv` (as `process.argv`: node, script, then the arguments) and returns the exit code. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram(env);
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    // Help and --version end with exit code 0; every other commander error is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliError) {
      report(error, { paintErr: palette(process.stderr, env) });
      return error.exitCode;
    }
    throw error;
  }
}
