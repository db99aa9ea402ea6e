/**
 * `uvmctl exec` and `uvmctl logs` as subprocesses against hcsd's sim engine (its emulated agent
 * runs built-in commands: echo, cat, interleave, sh -c, hang, env, pwd…): stdout/stderr streaming,
 * stdin piping and EOF, exit code propagation, the --json summary, Ctrl-C (the sim agent refuses
 * SignalProcess on the null container, as the Linux GCS: uvmctl detaches, 130), unknown id, a
 * guest command that does not exist, usage errors; logs from boot (listening before start) and
 * the no-stream timeout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LOG_PORT } from '@uvmkit/guestmanager';
import { hvsocketPath, vsockServiceId } from '@uvmkit/hcs-core/hvsocket';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keptDocument, type Run, UVMCTL, uvmctl, writeConfig } from './helpers.js';

let hcsd: HcsdProcess;
let vm: string;
const run = (...args: string[]): Promise<Run> => uvmctl(hcsd.socketPath, args);

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
  }
});

beforeAll(async () => {
  hcsd = await startHcsd({ timeoutMs: 30_000 });
  vm = await created();
  expect((await run('start', vm)).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await hcsd?.stop();
});

async function created(): Promise<string> {
  const id = uniqueSystemId('cli-exec');
  expect((await run('create', id, '--config', writeConfig(keptDocument()))).code).toBe(0);
  return id;
}

/** A running uvmctl whose stdio the test drives. */
interface Live {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout contains `text`. */
  sees(text: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function live(args: readonly string[]): Live {
  const child = spawn(process.execPath, [UVMCTL, ...args], {
    env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    out += d;
    for (const w of waiters.splice(0)) {
      if (out.includes(w.text)) w.resolve();
      else waiters.push(w);
    }
  });
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    sees: (text) =>
      out.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ text, resolve });
            void exit.then(() => {
              if (!out.includes(text)) reject(new Error(`uvmctl exited without printing ${text}: ${err}`));
            });
          }),
    exit,
  };
}

describe('uvmctl exec (sim engine)', () => {
  it('propagates the exit code; stdout is the process output', async () => {
    expect(await run('exec', vm, '--', 'sh', '-c', 'echo hi; exit 3')).toEqual({
      code: 3,
      stdout: 'hi\n',
      stderr: '',
    });
    expect(await run('exec', vm, '--', 'true')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await run('exec', vm, '--', 'false')).toEqual({ code: 1, stdout: '', stderr: '' });
  }, 60_000);

  it('stdout and stderr go to their own streams', async () => {
    expect(await run('exec', vm, '--', 'interleave', '3')).toEqual({
      code: 0,
      stdout: 'out 0\nout 1\nout 2\n',
      stderr: 'err 0\nerr 1\nerr 2\n',
    });
  }, 60_000);

  it('pipes stdin as it comes and streams stdout back before the end; EOF ends the process', async () => {
    const p = live(['exec', vm, '--', 'cat']);
    p.child.stdin?.write('one\n');
    await p.sees('one\n'); // echoed while uvmctl (and cat) still run
    expect(p.child.exitCode).toBeNull();
    p.child.stdin?.write('two\n');
    await p.sees('two\n');
    p.child.stdin?.end();
    expect(await p.exit).toEqual({ code: 0, signal: null });
    expect(p.stdout()).toBe('one\ntwo\n');
    expect(p.stderr()).toBe('');
  }, 60_000);

  it('sends -e (with a default PATH) and --cwd', async () => {
    expect(
      await run('exec', '-e', 'A=1', '-e', 'B=x=y', '--cwd', '/work', vm, '--', 'sh', '-c', 'env; pwd'),
    ).toEqual({
      code: 0,
      stdout: 'A=1\nB=x=y\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/work\n',
      stderr: '',
    });
  }, 60_000);

  it('--json prints a summary on stderr; stdout stays the process output', async () => {
    const r = await run('--json', 'exec', vm, '--', 'sh', '-c', 'echo hi; exit 4');
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('hi\n');
    const summary = JSON.parse(r.stderr) as { exec: Record<string, unknown> };
    expect(summary).toEqual({
      exec: { id: vm, pid: summary.exec.pid, exitCode: 4, durationMs: summary.exec.durationMs },
    });
    expect(summary.exec.pid).toBeGreaterThan(0);
    expect(summary.exec.durationMs).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('Ctrl-C: SIGINT is sent; the sim agent refuses it (null container), so uvmctl detaches with 130', async () => {
    const p = live(['exec', vm, '--', 'sh', '-c', 'echo ready; hang']);
    await p.sees('ready\n');
    p.child.kill('SIGINT');
    expect(await p.exit).toEqual({ code: 130, signal: null });
    const lines = p.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^uvmctl: warning: the guest did not deliver SIGINT to process \d+ \(HCS_E_SYSTEM_NOT_FOUND\)$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^uvmctl: warning: detached from process \\d+ in ${vm} after SIGINT \\(it may still be running in the guest\\)$`,
      ),
    );
  }, 60_000);

  it('-t without a terminal: a pty of 24x80 in the guest; EOF on stdin still ends it', async () => {
    const p = live(['exec', '-t', vm, '--', 'winsize']);
    await p.sees('24 80');
    p.child.stdin?.end();
    expect(await p.exit).toEqual({ code: 0, signal: null });
    expect({ out: p.stdout(), err: p.stderr() }).toEqual({ out: '24 80\r\n', err: '' }); // a pty: ONLCR
  }, 60_000);

  it('an unknown id: exit 3', async () => {
    expect(await run('exec', 'no-such-vm', '--', 'echo', 'x')).toEqual({
      code: 3,
      stdout: '',
      stderr: 'uvmctl: no compute system "no-such-vm" (HCS_E_SYSTEM_NOT_FOUND 0x8037010E)\n',
    });
  }, 30_000);

  it('a guest command that does not exist: the ExecuteProcess error, exit 1', async () => {
    const r = await run('exec', vm, '--', 'no-such-command');
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `uvmctl: ExecuteProcess "${vm}" failed with E_FAIL (0x80004005): exec: "no-such-command": executable file not found in $PATH (the emulated guest runs only its built-in commands)\n`,
    });
    const json = await run('--json', 'exec', vm, '--', 'no-such-command');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({
      error: { code: 'E_FAIL', hresult: '0x80004005', exitCode: 1 },
    });
  }, 60_000);

  it('usage: no command (exit 2), a bad -e (exit 4)', async () => {
    expect(await run('exec', vm)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'uvmctl: exec needs a command: uvmctl exec ID -- CMD [ARGS…]\n',
    });
    expect(await run('exec', '-e', 'NOEQUALS', vm, '--', 'true')).toEqual({
      code: 4,
      stdout: '',
      stderr: 'uvmctl: -e must be KEY=VALUE, got "NOEQUALS"\n',
    });
  }, 30_000);
});

describe('uvmctl logs (sim engine)', () => {
  it('-f listening before start sees the boot line and the exec log; ends when the VM stops', async () => {
    const id = await created();
    const { runtimeId } = await hcsd.control.system(id);
    const p = live(['logs', '-f', id]);
    const path = hvsocketPath({ vmId: runtimeId, serviceId: vsockServiceId(LOG_PORT) });
    const deadline = Date.now() + 30_000;
    while (!existsSync(path)) {
      if (Date.now() > deadline) throw new Error(`uvmctl logs never listened at ${path}: ${p.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await run('start', id)).code).toBe(0);
    await p.sees('emulated gcs started');
    expect((await run('exec', id, '--', 'echo', 'x')).code).toBe(0);
    await p.sees('exited with 0');
    expect((await run('rm', id)).code).toBe(0);
    expect(await p.exit).toEqual({ code: 0, signal: null });
    const lines = p.stdout().trimEnd().split('\n');
    const time = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z';
    expect(lines[0]).toMatch(new RegExp(`^${time} INFO    emulated gcs started vm=${id}$`));
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${time} INFO    process \\d+ started in the UVM: \\["echo","x"\\] vm=${id}$`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${time} INFO    process \\d+ exited with 0 vm=${id}$`)),
    );
    expect(p.stderr()).toBe('');
  }, 90_000);

  it('without -f, no stream from a guest that already booted: exit 7 after --timeout', async () => {
    expect(await run('--timeout', '1500', 'logs', vm)).toEqual({
      code: 7,
      stdout: '',
      stderr: `uvmctl: the guest of ${vm} did not connect to the log service (vsock port 109) within 1500 ms\n`,
    });
    expect(await run('logs', 'no-such-vm')).toEqual({
      code: 3,
      stdout: '',
      stderr: 'uvmctl: no compute system "no-such-vm" (HCS_E_SYSTEM_NOT_FOUND 0x8037010E)\n',
    });
  }, 30_000);
});
