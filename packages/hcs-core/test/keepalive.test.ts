/**
 * What keeps the process alive. HCS completions and events arrive through koffi callbacks, which
 * hold nothing: a pending operation and a pending `waitForExit` keep the process alive (a program
 * whose only work is `await cs.waitForExit()` used to end at once with exit code 13, an unsettled
 * top-level await); nothing does once none is pending. Each case runs a fresh Node process against
 * hcsd, as `node --input-type=module -e`, which also shows the blocking-call worker
 * (HcsOpenComputeSystem runs there) starts when the parent's options say ES module.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ComputeSystem } from '../src/compute-system.js';
import { startDaemon, uniqueId, vmConfig } from './helpers/env.js';

let hcsd: HcsdProcess;
const children: ChildProcess[] = [];
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await hcsd.stop();
});

// import() takes a URL, not a path (a Windows path would be read as a URL with scheme "z:")
const dist = new URL('../dist/index.js', import.meta.url).href;
// A fresh Windows Node under Wine on a busy machine took up to a minute to start.
const CHILD_TIMEOUT = 180_000;

/** A child that opens `id` and waits for its exit (`ref` as given), printing a line at each step. */
function waiter(id: string, ref: boolean): ChildProcess {
  const script = `
    const { ComputeSystem } = await import(${JSON.stringify(dist)});
    const cs = await ComputeSystem.open(${JSON.stringify(id)});
    console.log('waiting');
    const status = await cs.waitForExit({ ref: ${ref} });
    console.log('exited ' + status.ExitType);
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function outcome(child: ChildProcess, onLine: (line: string) => void): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const line of chunk.split('\n')) if (line !== '') onLine(line);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

it(
  'the process stays alive until a pending operation completes, then exits on its own',
  async () => {
    // The child creates a VM and starts a GetProperties that hcsd holds for 300 ms, WITHOUT awaiting
    // it at top level: only the bindings' ref'd handle keeps the loop alive.
    await hcsd.control.delay({ method: 'GetProperties', ms: 300, count: 2 });
    const script = `
    import { ComputeSystem } from ${JSON.stringify(dist)};
    ComputeSystem.create('keepalive-' + process.pid, {
      SchemaVersion: { Major: 2, Minor: 1 }, ShouldTerminateOnLastHandleClosed: true,
      VirtualMachine: { Chipset: { Uefi: {} }, ComputeTopology: { Memory: { SizeInMB: 256 }, Processor: { Count: 1 } } },
    }).then((cs) => {
      const t = Date.now();
      cs.getProperties().then((p) => {
        console.log('completed', p.State, Date.now() - t >= 250);
        return cs.close();
      }).then(() => console.log('closed'));
    });
  `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, UVMKIT_HCSD_SOCKET: hcsd.socketPath },
      timeout: CHILD_TIMEOUT - 30_000,
    });
    expect(stdout.trim().split('\n')).toEqual(['completed Created true', 'closed']);
  },
  CHILD_TIMEOUT,
);

async function runningSystem(): Promise<ComputeSystem> {
  const cs = await ComputeSystem.create(uniqueId('keepalive'), vmConfig({ terminate: false }));
  await cs.start();
  return cs;
}

it(
  'a pending waitForExit holds the process until the system exits',
  async () => {
    const cs = await runningSystem();
    try {
      const child = waiter(cs.id, true);
      children.push(child);
      let terminated: Promise<unknown> | undefined;
      const done = await outcome(child, (line) => {
        // Terminate only once the child is waiting, and a while later: it must still be there.
        if (line === 'waiting')
          terminated = new Promise((r) => setTimeout(r, 500)).then(() => cs.terminate());
      });
      await terminated;
      expect(done, done.stderr).toMatchObject({ code: 0, stdout: 'waiting\nexited ForcedExit\n' });
    } finally {
      await cs.close();
    }
  },
  CHILD_TIMEOUT,
);

it(
  'ref: false observes the exit without holding the process',
  async () => {
    const cs = await runningSystem();
    try {
      const child = waiter(cs.id, false);
      children.push(child);
      const done = await outcome(child, () => {});
      // Nothing else is pending: Node ends the unsettled top-level await with exit code 13.
      expect(done).toMatchObject({ code: 13, stdout: 'waiting\n' });
      expect((await cs.getProperties()).State).toBe('Running');
    } finally {
      await cs.terminate();
      await cs.close();
    }
  },
  CHILD_TIMEOUT,
);
