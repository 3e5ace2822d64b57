import { type Command, InvalidArgumentError } from 'commander';
import { CAPABILITIES } from '../../core/capabilities.ts';
import { formatDuration } from '../../core/durations.ts';
import { durationArg, listArg } from '../arguments.ts';
import { confirm } from '../confirm.ts';
import type { CliContext } from '../main.ts';
import { printJson, printLine, printNote } from '../output.ts';

interface PortalSession {
  readonly id: string;
  readonly url: string;
  readonly token: string;
  readonly capabilities: string[];
  readonly name: string | null;
  readonly expires_at: string;
}

function capabilitiesArg(value: string, previous: string[] | undefined): string[] {
  const list = listArg(value, previous);
  const unknown = list.filter((item) => !(CAPABILITIES as readonly string[]).includes(item));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown ${unknown.join(', ')}; choose from ${CAPABILITIES.join(', ')}.`);
  }
  return list;
}

/** `hooklane portal create|revoke`: links to the embeddable portal for an account's own customers. */
export function registerPortal(program: Command, ctx: CliContext): void {
  const portal = program
    .command('portal')
    .description('Create portal sessions (links to the embeddable webhook portal); revoke them all')
    .addHelpText(
      'after',
      `
Examples:
  $ hooklane portal create --capabilities read,retry --ttl 2h --name "Acme Corp"
  $ hooklane portal revoke --yes

Documentation: docs/portal.md`,
    );

  portal
    .command('create')
    .description('Create a portal session and print its link (the token in it is shown once)')
    .requiredOption(
      '--capabilities <list>',
      `what the session may do, comma-separated: ${CAPABILITIES.join(', ')}`,
      capabilitiesArg,
    )
    .option('--ttl <duration>', 'how long the link works: 30m, 1h (default), at most 7d', durationArg)
    .option('--name <name>', 'who the session is for, shown in the portal')
    .addHelpText(
      'after',
      `
Needs the root key or an admin key of the account. Prints the URL on stdout (the token is in its
#fragment); --json prints the whole answer: id, url, token, capabilities, name, expires_at.

Examples:
  $ hooklane portal create --capabilities read
  $ URL=$(hooklane portal create --capabilities read,manage_webhooks,retry --ttl 30m --name "Acme Corp")`,
    )
    .action(async (options: { capabilities: string[]; ttl?: number; name?: string }, command: Command) => {
      const client = await ctx.accountClient(command);
      const session = await client.request<PortalSession>('POST', client.accountPath('/portal-sessions'), {
        body: {
          // A set: the API refuses a capability given twice.
          capabilities: [...new Set(options.capabilities)],
          ...(options.ttl !== undefined && { ttl: formatDuration(options.ttl) }),
          ...(options.name !== undefined && { name: options.name }),
        },
      });
      if (ctx.globals(command).json) return printJson(session);
      printLine(session.url);
      printNote(
        `Portal session ${session.id} (${session.capabilities.join(', ')}) works until ${session.expires_at}; the link is shown once.`,
      );
    });

  portal
    .command('revoke')
    .description('Revoke every portal session of the account, at once')
    .option('-y, --yes', 'do not ask for confirmation (needed when not run on a terminal)')
    .addHelpText(
      'after',
      `
Every link handed out stops working at once. On a terminal it asks first; elsewhere it refuses
(exit 2) unless given --yes.

Example:
  $ hooklane portal revoke --yes`,
    )
    .action(async (options: { yes?: boolean }, command: Command) => {
      const client = await ctx.accountClient(command);
      await confirm(
        `Revoke every portal session of ${client.account}? Their links stop working at once.`,
        options.yes,
      );
      await client.request('DELETE', client.accountPath('/portal-sessions'));
      if (ctx.globals(command).json) printJson({ account_id: client.account, revoked: true });
      else printLine(`Revoked every portal session of ${client.account}.`);
    });
}
