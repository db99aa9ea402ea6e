/**
 * 1,000 create/start/terminate/close cycles: zero open handles left in hcsd and bounded memory
 * growth. Bound: < 30 MB RSS growth and < 10 MB heap growth between the end of a 100-cycle warm-up
 * and the end of the run (after a forced GC).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Operation } from '../src/operation.js';
import { systemOf, UtilityVM } from '../src/utility-vm.js';
import { startDaemon, vmConfig } from './helpers/env.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

const MB = 1024 * 1024;

async function cycle(i: number): Promise<void> {
  const vm = await UtilityVM.create(`cycle-${i}`, vmConfig());
  const system = systemOf(vm);
  await system.start();
  await system.terminate();
  await vm.exited;
  await vm.close();
}

async function settle(): Promise<{ heap: number; rss: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

it('1,000 cycles leave zero handles and bounded memory', { timeout: 120_000 }, async () => {
  const WARMUP = 100;
  const TOTAL = 1000;
  for (let i = 0; i < WARMUP; i++) await cycle(i);
  const before = await settle();
  const t0 = performance.now();
  for (let i = WARMUP; i < TOTAL; i++) await cycle(i);
  const elapsed = performance.now() - t0;
  const after = await settle();
  const clients = await hcsd.control.clients();
  const handles = clients.flatMap((c) => c.handles);
  const live = (await hcsd.control.systems()).filter((s) => s.state !== 'Stopped');
  const growth = { heapMB: (after.heap - before.heap) / MB, rssMB: (after.rss - before.rss) / MB };
  console.log(
    `cycles: ${TOTAL - WARMUP} in ${elapsed.toFixed(0)} ms (${(((TOTAL - WARMUP) / elapsed) * 1000).toFixed(0)}/s); ` +
      `heap ${(before.heap / MB).toFixed(1)} → ${(after.heap / MB).toFixed(1)} MB, rss ${(before.rss / MB).toFixed(1)} → ${(after.rss / MB).toFixed(1)} MB`,
  );
  expect(handles).toEqual([]);
  expect(live).toEqual([]);
  expect(Operation.pendingCount).toBe(0);
  expect(growth.rssMB).toBeLessThan(30);
  expect(growth.heapMB).toBeLessThan(10);
});
