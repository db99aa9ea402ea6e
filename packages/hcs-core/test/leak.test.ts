/** The FinalizationRegistry safety net closes a handle whose wrapper was dropped unclosed, and warns. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ComputeSystem } from '../src/compute-system.js';
import type { Logger } from '../src/logger.js';
import { startDaemon, uniqueId, vmConfig } from './helpers/env.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

it.each([
  ['with no listener', false],
  ['with a pending waitForExit', true],
] as const)('a leaked ComputeSystem (%s) is closed by the safety net with a warning', async (_, waiting) => {
  const warnings: [string, unknown][] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m, f) => warnings.push([m, f]),
    error: () => {},
  };
  const id = uniqueId('leak');
  await (async () => {
    const cs = await ComputeSystem.create(id, vmConfig({ terminate: false }), { logger });
    await cs.getProperties();
    // An exit waiter must not keep the wrapper alive (UtilityVM.exited and accept() create one).
    if (waiting) void cs.waitForExit().catch(() => {});
  })();
  expect((await hcsd.control.system(id)).handleCount).toBe(1);
  for (let i = 0; i < 50 && warnings.length === 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(warnings).toEqual([['compute system handle was not closed; closing it', { uvmId: id, id }]]);
  for (let i = 0; i < 100 && (await hcsd.control.system(id)).handleCount !== 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect((await hcsd.control.system(id)).handleCount).toBe(0);
  const reopened = await ComputeSystem.open(id);
  await reopened.terminate();
  await reopened.close();
});
