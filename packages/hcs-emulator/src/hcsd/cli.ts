/**
 * `hcsd [--socket <path>]`: run the emulated Host Compute Service on a Unix socket.
 * Default socket: `$UVMKIT_HCSD_SOCKET`, else `/tmp/uvmkit-hcsd.sock`. Prints one ready line
 * (`hcsd ready {"socket":…,"pid":…}`) on stdout once listening. SIGTERM/SIGINT stop gracefully.
 */
import { serve } from './server.js';
import type { Logger } from './service.js';

export const READY_PREFIX = 'hcsd ready ';
export const DEFAULT_SOCKET = '/tmp/uvmkit-hcsd.sock';

function parseArgs(argv: readonly string[]): { socketPath: string } | { help: true } {
  let socketPath = process.env.UVMKIT_HCSD_SOCKET || DEFAULT_SOCKET;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { help: true };
    if (a === '--socket' && argv[i + 1] !== undefined) socketPath = argv[++i]!;
    else if (a.startsWith('--socket=')) socketPath = a.slice('--socket='.length);
    else throw new Error(`unknown argument ${a}`);
  }
  return { socketPath };
}

const logger: Logger = {
  error: (message, error) =>
    process.stderr.write(
      `${message}${error === undefined ? '' : `: ${String((error as Error)?.stack ?? error)}`}\n`,
    ),
  info: (message) => {
    if (process.env.UVMKIT_HCSD_VERBOSE) process.stderr.write(`${message}\n`);
  },
};

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`hcsd: ${(e as Error).message}\nusage: hcsd [--socket <path>]\n`);
    process.exit(2);
  }
  if ('help' in args) {
    process.stdout.write(
      'usage: hcsd [--socket <path>]   (default $UVMKIT_HCSD_SOCKET or /tmp/uvmkit-hcsd.sock)\n',
    );
    return;
  }
  const server = await serve({
    socketPath: args.socketPath,
    logger,
    onStop: (mode) => process.exit(mode === 'abrupt' ? 137 : 0),
  });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (process.env.UVMKIT_HCSD_EXIT_WITH_STDIN === '1') {
    // Started by startHcsd(): exit when the parent goes away (its end of our stdin closes).
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
  process.on('uncaughtException', (e) => logger.error('hcsd: uncaught exception', e));
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ socket: server.socketPath, pid: process.pid })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`hcsd: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
