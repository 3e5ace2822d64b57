/**
 * Confirmation before a command that cannot be undone: `--yes` skips it; on a terminal the
 * user is asked; anywhere else (scripts, CI, pipes) the command refuses, since no one can
 * answer. Both refusals are usage errors (exit 2) and change nothing.
 */
import { createInterface } from 'node:readline/promises';
import { UsageError } from './api-client.ts';

export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`${question} Pass --yes to confirm: there is no terminal to ask on.`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('cancelled: nothing was changed');
  } finally {
    prompt.close();
  }
}
