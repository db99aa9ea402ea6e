/**
 * `hcsd [--socket <path>] [--engine sim|qemu] [--state-dir <dir>] [--listen tcp:127.0.0.1:PORT
 * [--secret-file <path>]]`: run the Host Compute Service for Linux on a Unix socket, and also on
 * loopback TCP when asked (for Windows processes under Wine; port 0 picks a free port). Default
 * socket: `$UVMKIT_HCSD_SOCKET` (when it is a path), else `/tmp/uvmkit-hcsd.sock`; default engine:
 * `$UVMKIT_HCSD_ENGINE`, else `sim`; default state directory (per-VM files of the qemu engine):
 * `$UVMKIT_HCSD_STATE_DIR`, else `<tmpdir>/uvmkit-hcsd-<pid>`. Prints one ready line
 * (`hcsd ready {"socket":…,"pid":…,"engine":…}`, plus `"tcp"` and `"secretFile"` with `--listen`)
 * on stdout once listening. SIGTERM/SIGINT stop gracefully.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineName, Logger } from './engine.js';
import { createEngine, isEngineName } from './engines/index.js';
import { serve } from './server.js';
import { isTcpEndpoint } from './tcp.js';

export const READY_PREFIX = 'hcsd ready ';
export const DEFAULT_SOCKET = '/tmp/uvmkit-hcsd.sock';
const USAGE =
  'usage: hcsd [--socket <path>] [--engine sim|qemu] [--state-dir <dir>] [--listen tcp:127.0.0.1:PORT [--secret-file <path>]]';

interface Args {
  socketPath: string;
  engine: EngineName;
  stateDir: string;
  listen: string | undefined;
  secretFile: string | undefined;
}

function parseArgs(argv: readonly string[]): Args | { help: true } {
  const env = process.env;
  const fromEnv = env.UVMKIT_HCSD_SOCKET;
  const out: Record<'socketPath' | 'engine' | 'stateDir', string> & Pick<Args, 'listen' | 'secretFile'> = {
    socketPath: fromEnv && !isTcpEndpoint(fromEnv) ? fromEnv : DEFAULT_SOCKET,
    engine: env.UVMKIT_HCSD_ENGINE || 'sim',
    stateDir: env.UVMKIT_HCSD_STATE_DIR || join(tmpdir(), `uvmkit-hcsd-${process.pid}`),
    listen: undefined,
    secretFile: undefined,
  };
  const flags = {
    '--socket': 'socketPath',
    '--engine': 'engine',
    '--state-dir': 'stateDir',
    '--listen': 'listen',
    '--secret-file': 'secretFile',
  } as const;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { help: true };
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const key = Object.hasOwn(flags, name) ? flags[name as keyof typeof flags] : undefined;
    if (key === undefined) throw new Error(`unknown argument ${a}`);
    const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined || value === '') throw new Error(`${name} needs a value`);
    out[key] = value;
  }
  if (out.secretFile !== undefined && out.listen === undefined)
    throw new Error('--secret-file needs --listen');
  if (!isEngineName(out.engine))
    throw new Error(`unknown engine ${JSON.stringify(out.engine)} (sim or qemu)`);
  return { ...out, engine: out.engine };
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
    process.stderr.write(`hcsd: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if ('help' in args) {
    process.stdout.write(
      `${USAGE}\n  (defaults: $UVMKIT_HCSD_SOCKET or ${DEFAULT_SOCKET}; $UVMKIT_HCSD_ENGINE or sim)\n`,
    );
    return;
  }
  const engine = await createEngine(args.engine, { logger, stateDir: args.stateDir });
  const server = await serve({
    socketPath: args.socketPath,
    listen: args.listen,
    secretFile: args.secretFile,
    logger,
    engine,
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
  const ready = {
    socket: server.socketPath,
    pid: process.pid,
    engine: engine.name,
    tcp: server.tcp,
    secretFile: server.secretFile,
  };
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(ready)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`hcsd: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
