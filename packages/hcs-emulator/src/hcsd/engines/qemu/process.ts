/**
 * One QEMU process: spawned through `setpriv --pdeathsig KILL` from the main thread, so it dies
 * with hcsd (qemu.md end), its stdout/stderr appended to the VM log; exit tracking and killing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

let setprivPath: string | null | undefined;

/** `setpriv` when it has `--pdeathsig` (util-linux ≥ 2.33), else null. */
function setpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  const r = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
  setprivPath = r.status === 0 && r.stdout.includes('--pdeathsig') ? 'setpriv' : null;
  return setprivPath;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class QemuProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
  #exit: ProcessExit | undefined;
  readonly startedAt = Date.now();

  private constructor(child: ChildProcess, pid: number) {
    this.child = child;
    this.pid = pid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  static spawn(binary: string, argv: readonly string[], logPath: string, usePdeathsig = true): QemuProcess {
    const log = openSync(logPath, 'a');
    try {
      const sp = usePdeathsig ? setpriv() : null;
      const [cmd, args] = sp ? [sp, ['--pdeathsig', 'KILL', '--', binary, ...argv]] : [binary, [...argv]];
      const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
      if (child.pid === undefined) {
        let why = 'spawn failed';
        child.once('error', (e) => {
          why = e.message;
        });
        throw new Error(`cannot start ${binary}: ${why}`);
      }
      child.on('error', () => {});
      return new QemuProcess(child, child.pid);
    } finally {
      closeSync(log);
    }
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return this.exited;
  }

  /** `/proc/<pid>` figures: resident bytes and CPU time in 100 ns units. */
  usage(): { rssBytes: number; cpu100ns: number } | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return { rssBytes: Number(rss?.[1] ?? 0) * 1024, cpu100ns: Math.round((ticks * 1e7) / 100) };
    } catch {
      return undefined;
    }
  }
}

/** Describe an exit for logs: `exit code 1` / `signal SIGKILL`. */
export function describeExit(e: ProcessExit): string {
  return e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
}
