/** A pending operation keeps the process alive; nothing keeps it alive once none is pending. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDaemon } from './helpers/env.js';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

// import() takes a URL, not a path (a Windows path would be read as a URL with scheme "z:")
const dist = new URL('../dist/index.js', import.meta.url).href;

it('the process stays alive until a pending operation completes, then exits on its own', async () => {
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
    timeout: 150_000, // a fresh Windows Node under Wine on a busy machine took up to a minute to start
  });
  expect(stdout.trim().split('\n')).toEqual(['completed Created true', 'closed']);
}, 180_000);
