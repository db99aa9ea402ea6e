import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HR } from '../src/hcsd/errors.js';
import { freshSocketPath, startHcsd } from '../src/start.js';
import { TestClient, until, vmConfig } from './helpers/hcsd.js';

const bin = fileURLToPath(new URL('../bin/hcsd.js', import.meta.url));
const clientModule = new URL('../dist/client.js', import.meta.url).href;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; out: Promise<string>; code: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let text = '';
  child.stdout!.on('data', (d) => {
    text += d;
  });
  child.stderr!.on('data', (d) => {
    text += d;
  });
  const code = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, out: code.then(() => text), code };
}

async function readyLine(child: ChildProcess): Promise<string> {
  let text = '';
  return new Promise((resolve) => {
    child.stdout!.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
  });
}

describe('hcsd command', () => {
  it('uses $UVMKIT_HCSD_SOCKET, prints the ready line, stops on SIGTERM removing its socket', async () => {
    const socket = freshSocketPath();
    const { child, code } = run([], { UVMKIT_HCSD_SOCKET: socket });
    const line = await readyLine(child);
    expect(line).toBe(`hcsd ready ${JSON.stringify({ socket, pid: child.pid, engine: 'sim' })}`);
    const c = await TestClient.connect(socket);
    await c.create('cli-vm');
    child.kill('SIGTERM');
    expect(await code).toBe(0);
    await c.raw.closed;
    expect(existsSync(socket)).toBe(false);
  });

  it('--socket wins over the environment; --help; bad arguments exit 2', async () => {
    const socket = freshSocketPath();
    const { child } = run(['--socket', socket], { UVMKIT_HCSD_SOCKET: '/nonexistent/dir/x.sock' });
    expect(await readyLine(child)).toContain(JSON.stringify(socket));
    child.kill('SIGTERM');
    const help = run(['--help']);
    expect(await help.code).toBe(0);
    expect(await help.out).toMatch(/^usage: hcsd \[--socket <path>\]/);
    const bad = run(['--frobnicate']);
    expect(await bad.code).toBe(2);
    expect(await bad.out).toContain('unknown argument --frobnicate');
  }, 30_000); // three daemon starts: generous on a busy machine
});

describe('several client processes', () => {
  it('a second process sees systems created by the first; killing a process closes its tokens', async () => {
    await using hcsd = await startHcsd();
    const script = `
      const { HcsdClient } = await import(${JSON.stringify(clientModule)});
      const c = await HcsdClient.connect(process.env.UVMKIT_HCSD_SOCKET);
      await c.request('Hello', 0n, ['child', String(process.pid), '1']);
      const cfg = ${JSON.stringify(JSON.stringify(vmConfig({ terminate: true })))};
      const r = await c.request('Create', 0n, ['from-child', cfg]);
      await c.request('Start', r.value, []);
      process.stdout.write('created\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((r) => child.stdout!.on('data', (d) => String(d).includes('created') && r()));
    const me = await TestClient.connect(hcsd.socketPath);
    const enumerated = await me.call('Enumerate', 0n, [JSON.stringify({ Ids: ['from-child'] })]);
    expect((enumerated.json as { State: string }[]).map((p) => p.State)).toEqual(['Running']);
    const clients = await hcsd.control.clients();
    expect(clients.find((c) => c.name === 'child')).toMatchObject({
      pid: child.pid,
      handles: [{ systemId: 'from-child' }],
    });
    child.kill('SIGKILL');
    await until(async () => (await hcsd.control.systems()).every((s) => s.id !== 'from-child'), 5000);
    expect((await me.call('Open', 0n, ['from-child'])).hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
    await me.close();
  });
});
