/**
 * `hcsd [--socket <path>] [--control-socket <path>] [--test-control] [--socket-group <group>]
 * [--engine sim|qemu] [--state-dir <dir>] [--listen tcp:127.0.0.1:PORT [--secret-file <path>]]`:
 * run the Host Compute Service for Linux on a Unix socket, and also on loopback TCP when asked
 * (for Windows processes under Wine; port 0 picks a free port; clients present the secret file's
 * secret in Hello). Default socket: `$UVMKIT_HCSD_SOCKET` (when it is a path), else `<runtime dir>/hcsd.sock` (the private
 * per-user runtime directory, runtime-dir.ts: created 0700, refused when someone else owns it or
 * others may enter it); the socket is 0600 (0660 with `--socket-group`, whose members may connect
 * too). Control methods (inspect, fault, stop) only on `--control-socket` (or, for tests, on the
 * main socket with `--test-control`). Limits: `$UVMKIT_HCSD_LIMITS` (limits.ts).
 * default engine: `$UVMKIT_HCSD_ENGINE`, else `sim`; default state directory (per-VM files of the
 * qemu engine): `$UVMKIT_HCSD_STATE_DIR`, else `<tmpdir>/uvmkit-hcsd-<pid>`. Prints one ready
 * line (`hcsd ready {"socket":…,"pid":…,"engine":…}`, plus `"tcp"` and `"secretFile"` with
 * `--listen`) on stdout once listening. SIGTERM/SIGINT
 * stop gracefully.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { peercredHelperPath } from '../paths.js';
import { defaultSocketPath, ensurePrivateDir, runtimeDir, SOCKET_ENV } from '../runtime-dir.js';
import type { EngineName, Logger } from './engine.js';
import { createEngine, isEngineName } from './engines/index.js';
import { hvsockDir } from './hvsock.js';
import { limitsFromEnv } from './limits.js';
import { serve } from './server.js';
import { isTcpEndpoint } from './tcp.js';

export const READY_PREFIX = 'hcsd ready ';
const USAGE =
  'usage: hcsd [--socket <path>] [--control-socket <path>] [--test-control] [--socket-group <group>] [--engine sim|qemu] [--state-dir <dir>] [--listen tcp:127.0.0.1:PORT [--secret-file <path>]]';

interface Args {
  socketPath: string;
  controlSocketPath: string | undefined;
  testControl: boolean;
  socketGroup: string | undefined;
  engine: EngineName;
  stateDir: string;
  listen: string | undefined;
  secretFile: string | undefined;
}

/** A group name or number → gid. */
function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = execFileSync('getent', ['group', group], { encoding: 'utf8' }).split('\n')[0] ?? '';
  const gid = Number(line.split(':')[2]);
  if (!Number.isInteger(gid)) throw new Error(`unknown group ${JSON.stringify(group)}`);
  return gid;
}

function parseArgs(argv: readonly string[]): Args | { help: true } {
  const env = process.env;
  const engine = env.UVMKIT_HCSD_ENGINE || 'sim';
  const out: {
    socketPath: string;
    engine: string;
    stateDir: string;
    controlSocketPath?: string;
    socketGroup?: string;
    listen?: string;
    secretFile?: string;
  } = {
    // a tcp: endpoint in the variable is for clients (the shim); the daemon's socket is a path
    socketPath: defaultSocketPath(
      isTcpEndpoint(env.UVMKIT_HCSD_SOCKET ?? '') ? { ...env, UVMKIT_HCSD_SOCKET: undefined } : env,
    ),
    engine: engine as string,
    stateDir: env.UVMKIT_HCSD_STATE_DIR || join(tmpdir(), `uvmkit-hcsd-${process.pid}`),
  };
  let testControl = false;
  const flags: Record<string, keyof typeof out> = {
    '--socket': 'socketPath',
    '--control-socket': 'controlSocketPath',
    '--socket-group': 'socketGroup',
    '--engine': 'engine',
    '--state-dir': 'stateDir',
    '--listen': 'listen',
    '--secret-file': 'secretFile',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { help: true };
    if (a === '--test-control') {
      testControl = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const key = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (key === undefined) throw new Error(`unknown argument ${a}`);
    const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined || value === '') throw new Error(`${name} needs a value`);
    out[key] = value;
  }
  if (out.secretFile !== undefined && out.listen === undefined)
    throw new Error('--secret-file needs --listen');
  if (!isEngineName(out.engine))
    throw new Error(`unknown engine ${JSON.stringify(out.engine)} (sim or qemu)`);
  return {
    socketPath: out.socketPath,
    controlSocketPath: out.controlSocketPath,
    socketGroup: out.socketGroup,
    testControl,
    stateDir: out.stateDir,
    engine: out.engine,
    listen: out.listen,
    secretFile: out.secretFile,
  };
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
      `${USAGE}\n  (defaults: $${SOCKET_ENV} or ${join(runtimeDir(), 'hcsd.sock')}; $UVMKIT_HCSD_ENGINE or sim)\n`,
    );
    return;
  }
  const limits = limitsFromEnv();
  // The default runtime directory must be private; so must the HvSocket directory (the emulated
  // guests dial there). Explicit paths are the caller's choice.
  const defaultDir = runtimeDir();
  if (dirname(args.socketPath) === defaultDir) ensurePrivateDir(defaultDir);
  if (!process.env.UVMKIT_HVSOCK_DIR) ensurePrivateDir(hvsockDir());
  const socketGroup = args.socketGroup === undefined ? undefined : groupId(args.socketGroup);
  const engine = await createEngine(args.engine, { logger, stateDir: args.stateDir });
  const server = await serve({
    socketPath: args.socketPath,
    ...(args.controlSocketPath === undefined ? {} : { controlSocketPath: args.controlSocketPath }),
    testControl: args.testControl,
    ...(socketGroup === undefined ? {} : { socketGroup }),
    peercredHelper: peercredHelperPath(),
    limits,
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
    ...(server.controlSocketPath === undefined ? {} : { control: server.controlSocketPath }),
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
