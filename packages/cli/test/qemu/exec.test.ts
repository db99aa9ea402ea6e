/**
 * `uvmctl exec` and `uvmctl logs` on hcsd's qemu engine with the real agent (uvmkit-gcs in the
 * image `pnpm guest-image` builds), ONE VM for the file (booted by `uvmctl run` in beforeAll):
 * exit codes (3, and 143 for a process killed by SIGTERM), stdin piping, stderr, a command that
 * does not exist; `exec -t ID -- sh` driven through tmux (type into the guest shell, read the
 * screen back, Ctrl-C reaches the guest's pty, resize the window and see the new size in the
 * guest, exit: uvmctl's exit code and the local terminal restored); `logs` (the agent's buffered
 * lines since boot).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HcsdProcess, startHcsd } from '@uvmkit/hcs-emulator';
import { uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, UVMCTL, uvmctl } from '../helpers.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
let hcsd: HcsdProcess;
const stateDir = mkdtempSync(join(tmpdir(), 'uvmctl-qemu-exec-'));
const id = uniqueSystemId('cli-exec-q');
const run = (...args: string[]): Promise<Run> => uvmctl(hcsd.socketPath, args);

async function until(what: string, test: () => Promise<boolean> | boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const out = execFileSync(process.execPath, [join(repo, 'packages/linux-guest/image/build.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  const image = JSON.parse(out.trim().split('\n').pop() ?? '') as { kernel: string };
  hcsd = await startHcsd({ engine: 'qemu', stateDir, timeoutMs: 30_000 });
  const r = await run('run', id, '--image', dirname(image.kernel), '--memory', '384');
  expect(r.code).toBe(0);
  await until('the guest READY marker', async () =>
    ((await hcsd.control.engine(id, 'log')) as { text: string }).text.includes('uvmkit-init: READY'),
  );
});
afterAll(async () => {
  await hcsd?.stop(); // QEMU dies with hcsd (PDEATHSIG) and with its VM record
  rmSync(stateDir, { recursive: true, force: true });
});

/** `uvmctl args…` with `input` on its stdin. */
function withStdin(args: readonly string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [UVMCTL, ...args],
      { env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath }, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') return reject(err);
        resolve({ code: child.exitCode ?? -1, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

describe('uvmctl exec (qemu engine, real agent)', () => {
  it("sh -c 'echo hi; exit 3': hi, exit 3; a process killed by SIGTERM: 143", async () => {
    expect(await run('exec', id, '--', 'sh', '-c', 'echo hi; exit 3')).toEqual({
      code: 3,
      stdout: 'hi\n',
      stderr: '',
    });
    expect(await run('exec', id, '--', 'sh', '-c', 'echo bye >&2; kill -TERM $$')).toEqual({
      code: 143,
      stdout: '',
      stderr: 'bye\n',
    });
  });

  it('Ctrl-C (SIGINT to uvmctl) is delivered to the guest process: it dies of SIGINT, exit 130', async () => {
    const p = spawn(process.execPath, [UVMCTL, 'exec', id, '--', 'sh', '-c', 'echo ready; exec sleep 300'], {
      env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      let err = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      p.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      await until('ready', () => out === 'ready\n');
      p.kill('SIGINT');
      // 130 = 128 + SIGINT, as the guest reports it (not a detach: no warning).
      expect(await exited).toBe(130);
      expect({ out, err }).toEqual({ out: 'ready\n', err: '' });
    } finally {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
  });

  it('a reader that goes away (| head): the guest process gets SIGPIPE, exit 141', async () => {
    const line = `${process.execPath} ${UVMCTL} exec ${id} -- sh -c 'while :; do echo y; done' | head -1; echo "rc=\${PIPESTATUS[0]}"`;
    const out = execFileSync('bash', ['-c', line], {
      encoding: 'utf8',
      env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath },
      timeout: 120_000,
    });
    expect(out).toBe('y\nrc=141\n');
  });

  it('pipes stdin (EOF ends it); -e and --cwd reach the process', async () => {
    expect(await withStdin(['exec', id, '--', 'sh', '-c', 'wc -l; cat'], 'a\nb\nc\n')).toEqual({
      code: 0,
      stdout: '3\n',
      stderr: '',
    });
    expect(await withStdin(['exec', id, '--', 'tr', 'a-z', 'A-Z'], 'guest\n')).toEqual({
      code: 0,
      stdout: 'GUEST\n',
      stderr: '',
    });
    expect(
      await run('exec', '-e', 'GREETING=hej', '--cwd', '/proc', id, '--', 'sh', '-c', 'echo $GREETING $PWD'),
    ).toEqual({ code: 0, stdout: 'hej /proc\n', stderr: '' });
  });

  it('a command that does not exist: the agent refuses ExecuteProcess, exit 1', async () => {
    expect(await run('exec', id, '--', '/no/such/binary')).toEqual({
      code: 1,
      stdout: '',
      stderr: `uvmctl: ExecuteProcess "${id}" failed with E_FAIL (0x80004005): failed to run /no/such/binary: No such file or directory\n`,
    });
  });

  it('logs: the lines the agent kept since boot, then exit 0 when it goes quiet', async () => {
    const r = await run('logs', id);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    const time = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z';
    expect(lines[0]).toMatch(
      new RegExp(`^${time} INFO    uvmkit-gcs \\S+ starting \\(pid \\d+, relay .*\\) pid=\\d+$`),
    );
    // The exec of the first test, as the agent logged it.
    expect(lines).toContainEqual(expect.stringMatching(/ INFO {4}process \d+ exited with code 3 pid=\d+$/));
    // -f --json: the agent re-dials once it finds the old stream gone (its next write fails: that
    // line is lost) and sends what it logs from then on; Ctrl-C ends uvmctl with 130.
    const follow = spawn(process.execPath, [UVMCTL, '--json', 'logs', '-f', id], {
      env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      follow.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      const exited = new Promise<number | null>((r) => follow.once('exit', (code) => r(code)));
      await until('the exec in the followed log', async () => {
        expect((await run('exec', id, '--', 'echo', 'x')).code).toBe(0);
        return /"msg":"process \d+ exited with code 0"/.test(out);
      });
      follow.kill('SIGINT');
      expect(await exited).toBe(130);
      for (const l of out.split('\n').filter((x) => x !== '')) {
        expect(JSON.parse(l)).toMatchObject({ level: expect.any(String), msg: expect.any(String) });
      }
    } finally {
      if (follow.exitCode === null && follow.signalCode === null) follow.kill('SIGKILL');
    }
  });
});

describe('uvmctl exec -t through tmux', () => {
  it('types into the guest shell, reads the screen, Ctrl-C, resize, exit code, terminal restored', async () => {
    const server = `uvmctl-test-${process.pid}`; // a private tmux server (-L), killed in finally
    const session = 'exec';
    const dir = mkdtempSync(join(tmpdir(), 'uvmctl-tmux-'));
    const tmux = (...args: string[]): string =>
      execFileSync('tmux', ['-L', server, ...args], { encoding: 'utf8', timeout: 30_000 });
    const screen = (): string => tmux('capture-pane', '-p', '-t', session);
    const shows = (re: RegExp, what: string): Promise<void> =>
      until(what, () => re.test(screen()), 120_000).catch((e: Error) => {
        throw new Error(`${e.message}; the screen:\n${screen()}`);
      });
    let socketPath: string | undefined;
    const script = [
      `stty -g > ${dir}/before`,
      `UVMKIT_HCSD_SOCKET=${hcsd.socketPath} ${process.execPath} ${UVMCTL} exec -t ${id} -- sh`,
      `echo $? > ${dir}/code`,
      `stty -g > ${dir}/after`,
      'echo UVMCTL-DONE',
      'sleep 600',
    ].join('; ');
    try {
      tmux(
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '100',
        '-y',
        '30',
        'bash',
        '-c',
        script,
      );
      socketPath = tmux('display', '-p', '-t', session, '#{socket_path}').trim();
      await shows(/^\/ # ?$/m, 'the guest shell prompt');
      tmux('send-keys', '-t', session, 'echo guest-$((6 * 7)) $(stty size)', 'Enter');
      await shows(/^guest-42 30 100$/m, 'the echo and the initial size');
      // Ctrl-C is a byte for the guest's pty (raw mode): it interrupts the guest's sleep.
      tmux('send-keys', '-t', session, 'sleep 300', 'Enter');
      await shows(/^\/ # sleep 300$/m, 'the sleep');
      tmux('send-keys', '-t', session, 'C-c');
      tmux('send-keys', '-t', session, 'echo status-$?', 'Enter');
      await shows(/^status-130$/m, 'the interrupted sleep');
      // Resize the window: SIGWINCH → ResizeConsole; the guest sees the new size.
      tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
      await until(
        'the pane to be 120x40',
        () => tmux('display', '-p', '-t', session, '#{pane_width}x#{pane_height}').trim() === '120x40',
      );
      tmux('send-keys', '-t', session, 'echo size-$(stty size | tr " " x)', 'Enter');
      await shows(/^size-40x120$/m, 'the new size in the guest');
      tmux('send-keys', '-t', session, 'exit 7', 'Enter');
      await shows(/^UVMCTL-DONE$/m, 'uvmctl to exit');
      expect(readFileSync(join(dir, 'code'), 'utf8')).toBe('7\n');
      // The local terminal is as it was before uvmctl made it raw.
      const before = readFileSync(join(dir, 'before'), 'utf8');
      expect(before).toMatch(/^[0-9a-f:]+\n$/);
      expect(readFileSync(join(dir, 'after'), 'utf8')).toBe(before);
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      if (socketPath !== undefined) rmSync(socketPath, { force: true }); // tmux leaves its socket file
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
