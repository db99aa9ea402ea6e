/**
 * `uvmctl hcsd` (the emulator in the foreground, then a client on its socket) and the shell
 * completion scripts (sourced into a real bash, which completes commands, options and VM ids).
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSocketPath } from '@uvmkit/hcs-emulator';
import { uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { keptDocument, spawn, UVMCTL, uvmctl, writeConfig } from './helpers.js';

const children: ChildProcess[] = [];
/** Pids of the hcsd daemons the uvmctl children started (from their ready lines). */
const daemons: number[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
  }
  // The daemons die with their uvmctl (the stdin pipe); one that did not is killed by pid.
  for (const pid of daemons.splice(0)) {
    if (!(await gone(pid, 10_000))) process.kill(pid, 'SIGKILL');
  }
});

/** Start `uvmctl --socket S hcsd --engine sim` and wait for its ready line. */
async function foregroundHcsd(socket: string): Promise<{ child: ChildProcess; ready: string; pid: number }> {
  const child = spawn(process.execPath, [UVMCTL, '--socket', socket, 'hcsd', '--engine', 'sim'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`uvmctl hcsd exited (${code}) before it was ready`)));
    setTimeout(() => reject(new Error('uvmctl hcsd: no ready line within 30 s')), 30_000).unref();
  });
  const pid = (JSON.parse(ready.replace(/^hcsd ready /, '')) as { pid: number }).pid;
  daemons.push(pid);
  return { child, ready, pid };
}

describe('uvmctl hcsd', () => {
  it('runs the daemon on --socket; clients use it; SIGTERM stops it with exit 0', async () => {
    const socket = freshSocketPath();
    const { child, ready } = await foregroundHcsd(socket);
    // uvmctl runs hcsd as its child: the daemon's pid is not uvmctl's.
    const info = JSON.parse(ready.replace(/^hcsd ready /, '')) as {
      socket: string;
      control: string;
      pid: number;
      engine: string;
    };
    // uvmctl hcsd serves the control socket beside its socket (for `uvmctl inspect`)
    expect(info).toEqual({ socket, control: `${socket}.control`, pid: info.pid, engine: 'sim' });
    expect(info.pid).not.toBe(child.pid);
    const id = uniqueSystemId('cli-hcsd');
    expect((await uvmctl(socket, ['create', id, '--config', writeConfig(keptDocument())])).code).toBe(0);
    const listed = await uvmctl(socket, ['--json', 'list']);
    expect((JSON.parse(listed.stdout) as { Id: string }[]).map((s) => s.Id)).toEqual([id]);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await uvmctl(socket, ['list'])).code).toBe(6);
  }, 90_000);

  it('the daemon dies with uvmctl, even when uvmctl is killed (SIGKILL)', async () => {
    const socket = freshSocketPath();
    const { child, pid } = await foregroundHcsd(socket);
    expect(alive(pid)).toBe(true);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await gone(pid)).toBe(true);
    expect((await uvmctl(socket, ['list'])).code).toBe(6);
  }, 90_000);

  it('refuses an unknown engine (exit 2)', async () => {
    const r = await uvmctl(freshSocketPath(), ['hcsd', '--engine', 'vmware']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/argument 'vmware' is invalid\. Allowed choices are sim, qemu/);
  }, 30_000);
});

/** What bash completes for the words of `line` (the last word is the one being completed). */
function complete(script: string, line: string, socket: string): Promise<string[]> {
  const file = join(tmpdir(), `uvmctl-completion-${process.pid}.bash`);
  writeFileSync(file, script);
  const words = line.split(' ');
  const program = [
    `uvmctl() { "${process.execPath}" "${UVMCTL}" "$@"; }`,
    `source ${file}`,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_uvmctl',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', program],
      { env: { ...process.env, UVMKIT_HCSD_SOCKET: socket } },
      (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n').filter((l) => l !== ''))),
    );
  });
}

describe('completion', () => {
  it('bash: commands, subcommands, options and VM ids', async () => {
    const socket = freshSocketPath();
    const { child } = await foregroundHcsd(socket);
    const id = uniqueSystemId('cli-compl');
    expect((await uvmctl(socket, ['create', id, '--config', writeConfig(keptDocument())])).code).toBe(0);
    const r = await uvmctl(socket, ['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\ncomplete -F _uvmctl uvmctl\n$/);
    expect(await complete(r.stdout, 'uvmctl st', socket)).toEqual(['start']);
    expect(await complete(r.stdout, 'uvmctl scsi ', socket)).toEqual(['add', 'rm', '--help']);
    expect(await complete(r.stdout, 'uvmctl scsi add x --con', socket)).toEqual(['--controller']);
    expect(await complete(r.stdout, 'uvmctl start cli-compl', socket)).toEqual([id]);
    expect((await complete(r.stdout, 'uvmctl --json inspect ', socket)).sort()).toEqual(
      [id, '--help'].sort(),
    );
    const zsh = await uvmctl(socket, ['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^# uvmctl zsh completion\nautoload -U \+X bashcompinit && bashcompinit\n/);
    const fish = await uvmctl(socket, ['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c uvmctl -n '__fish_seen_subcommand_from scsi' -a add\n");
    const bad = await uvmctl(socket, ['completion', 'tcsh']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: 'uvmctl: shell must be one of bash, zsh, fish\n' });
    child.kill('SIGTERM');
  }, 90_000);
});

describe('progress', () => {
  it('is drawn on a terminal (a pty from script(1)) and erased; never without one', async () => {
    const socket = freshSocketPath();
    await foregroundHcsd(socket);
    const id = uniqueSystemId('cli-tty');
    expect((await uvmctl(socket, ['create', id, '--config', writeConfig(keptDocument())])).code).toBe(0);
    const cmd = `"${process.execPath}" "${UVMCTL}" start ${id}`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'script',
        ['-qfec', cmd, '/dev/null'],
        { env: { ...process.env, UVMKIT_HCSD_SOCKET: socket } },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
    // First frame, then the line erased, then the result.
    expect(out).toMatch(
      new RegExp(`^\\r\\x1b\\[2K⠋ starting ${id} \\(0\\.0s\\)(.|\\r|\\n)*\\r\\x1b\\[2Kstarted ${id}\\r?\\n$`),
    );
    // Not a terminal: only the result.
    expect(await uvmctl(socket, ['pause', id])).toEqual({ code: 0, stdout: `paused ${id}\n`, stderr: '' });
  }, 90_000);
});
