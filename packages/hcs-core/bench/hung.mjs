#!/usr/bin/env node
/**
 * Time to detect a hung service (issue 11 §8): hcsd is stopped with SIGSTOP; prints how long a
 * `getProperties({ timeout })` and four concurrent `ComputeSystem.open(id, { timeout })` take to
 * reject with Timeout, and fs.readFile latency while those opens wait (the libuv pool is free).
 *   node bench/hung.mjs [--timeout MS] [--json]
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { startHcsd } from '@uvmkit/hcs-emulator';
import { ComputeSystem } from '../dist/index.js';

if (process.platform !== 'linux') process.exit(0);
const args = process.argv.slice(2);
const i = args.indexOf('--timeout');
const TIMEOUT = i >= 0 ? Number(args[i + 1]) : 1000;
const hcsd = await startHcsd();
process.env.UVMKIT_HCSD_SOCKET = hcsd.socketPath;
const config = {
  SchemaVersion: { Major: 2, Minor: 1 },
  ShouldTerminateOnLastHandleClosed: true,
  VirtualMachine: {
    Chipset: { Uefi: {} },
    ComputeTopology: { Memory: { SizeInMB: 1024 }, Processor: { Count: 2 } },
  },
};
const cs = await ComputeSystem.create('bench-hung', config);
await cs.start();
process.kill(hcsd.pid, 'SIGSTOP');
let out;
try {
  const t0 = performance.now();
  const props = cs.getProperties(undefined, { timeout: TIMEOUT }).then(
    () => NaN,
    (e) => (e.code === 'Timeout' ? performance.now() - t0 : NaN),
  );
  const opens = [1, 2, 3, 4].map(() =>
    ComputeSystem.open('bench-hung', { timeout: TIMEOUT }).then(
      () => NaN,
      (e) => (e.code === 'Timeout' ? performance.now() - t0 : NaN),
    ),
  );
  const r0 = performance.now();
  await readFile(new URL(import.meta.url));
  const readMs = performance.now() - r0;
  const propsMs = await props;
  const openMs = await Promise.all(opens);
  out = {
    timeoutMs: TIMEOUT,
    getPropertiesTimeoutAfterMs: +propsMs.toFixed(1),
    openTimeoutAfterMs: openMs.map((m) => +m.toFixed(1)),
    readFileWhileOpensWaitMs: +readMs.toFixed(2),
  };
} finally {
  process.kill(hcsd.pid, 'SIGCONT');
}
await cs.terminate().catch(() => {});
await cs.close();
await hcsd.stop();
if (args.includes('--json')) console.log(JSON.stringify(out, null, 2));
else
  console.log(
    `\nhung hcsd (SIGSTOP), timeout ${out.timeoutMs} ms: getProperties → Timeout after ${out.getPropertiesTimeoutAfterMs} ms; ` +
      `4 × open → Timeout after ${out.openTimeoutAfterMs.join(', ')} ms; fs.readFile meanwhile ${out.readFileWhileOpensWaitMs} ms`,
  );
