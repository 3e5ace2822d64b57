import type { Command } from 'commander';
import type { CliContext } from '../main.ts';

interface StartOptions {
  readonly host?: string;
  readonly port?: string;
  readonly dataDir?: string;
}

/** `hooklane start`: the server, exactly as `npm start` runs it, configured by the same environment. */
export function registerStart(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('Run the Hooklane server (API and delivery workers) in this terminal')
    .option('--host <host>', 'interface to listen on (env HOST; default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (env PORT; default 8080; 0 picks a free one)')
    .option('--data-dir <dir>', 'embedded store directory (env HOOKLANE_DATA_DIR; default ./.hooklane)')
    .addHelpText(
      'after',
      `
Every server setting comes from the environment (see docs/configuration.md);
these flags only override HOST, PORT and HOOKLANE_DATA_DIR. SIGINT/SIGTERM stop it gracefully.

Examples:
  $ hooklane start
  $ HOOKLANE_ALLOW_PRIVATE_NETWORKS=true hooklane start --port 8081 --data-dir ./data`,
    )
    .action(async (options: StartOptions) => {
      const env = { ...ctx.env };
      if (options.host !== undefined) env.HOST = options.host;
      if (options.port !== undefined) env.PORT = options.port;
      if (options.dataDir !== undefined) env.HOOKLANE_DATA_DIR = options.dataDir;
      // Imported here so that the other commands do not load the server.
      const { runServer } = await import('../../start.ts');
      await runServer(env);
      // The server runs until a signal stops it: runServer's handler exits the process.
      await new Promise<never>(() => {});
    });
}
