/**
 * `uvmctl hcsd`: run the emulated Host Compute Service in the foreground (`--engine sim|qemu`),
 * with uvmctl's `--socket` and its control socket beside it (`<socket>.control`). SIGINT/SIGTERM
 * are passed on (hcsd stops gracefully); the exit code is hcsd's. hcsd never outlives uvmctl: it
 * holds a stdin pipe from uvmctl and stops when that closes (uvmctl exited, however).
 */
import { spawn } from 'node:child_process';
import { defaultSocketPath, hcsdCliPath } from '@uvmkit/hcs-emulator';
import { CliError, ExitCode } from '../errors.js';

/** Options of `uvmctl hcsd`. */
export interface HcsdOptions {
  engine?: string;
  stateDir?: string;
  socket?: string;
}

/** The engines hcsd has. */
export const ENGINES = ['sim', 'qemu'] as const;

/** Run hcsd until it exits; resolves with its exit code. */
export async function runHcsd(o: HcsdOptions): Promise<number> {
  const engine = o.engine ?? process.env.UVMKIT_HCSD_ENGINE ?? 'sim';
  if (!(ENGINES as readonly string[]).includes(engine)) {
    throw new CliError(
      'InvalidOption',
      `--engine must be one of ${ENGINES.join(', ')}, got ${JSON.stringify(engine)}`,
      ExitCode.Usage,
    );
  }
  // The control socket beside the main one: `uvmctl inspect` reads the emulator's device table there.
  const socket = o.socket ?? defaultSocketPath();
  const argv = [
    hcsdCliPath(),
    '--engine',
    engine,
    '--socket',
    socket,
    '--control-socket',
    `${socket}.control`,
  ];
  if (o.stateDir !== undefined) argv.push('--state-dir', o.stateDir);
  // hcsd dies with uvmctl: it watches its stdin (a pipe only uvmctl holds) and stops when it
  // closes, which the kernel does however uvmctl ends (SIGKILL included). Portable, unlike PDEATHSIG.
  const child = spawn(process.execPath, argv, {
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, UVMKIT_HCSD_EXIT_WITH_STDIN: '1' },
  });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (e) =>
        reject(new CliError('HcsdSpawn', `cannot start hcsd: ${e.message}`, ExitCode.Failure)),
      );
      child.once('exit', (code, sig) => resolve(code ?? (sig === 'SIGINT' || sig === 'SIGTERM' ? 0 : 1)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
