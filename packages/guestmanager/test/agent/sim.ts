/**
 * The emulated target of the shared agent suite: hcsd's sim engine with its emulated agent (one
 * VM from `lcowDocument()`, booted and connected once per file). Its processes are built-in
 * commands (`interleave`, `stream`: README "hcsd's emulated agent: built-in commands"); host
 * device paths are never opened, so any path names a disk or a share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { network } from '@uvmkit/network';
import { plan9 } from '@uvmkit/plan9';
import { scsi } from '@uvmkit/scsi';
import { vpmem } from '@uvmkit/vpmem';
import type { BootListeners } from '../../src/boot.js';
import { Guest } from '../../src/guest.js';
import { type AgentTarget, recorder } from './target.js';

export function emulatedAgent(): AgentTarget & { readonly hcsd: HcsdProcess } {
  const dir = mkdtempSync(join(tmpdir(), 'gm-agent-'));
  let hcsd: HcsdProcess | undefined;
  let vm: UtilityVM | undefined;
  let guest: Guest | undefined;
  let boot: BootListeners | undefined;
  const { logger, records } = recorder();
  return {
    name: 'emulated',
    get hcsd() {
      if (hcsd === undefined) throw new Error('setup() first');
      return hcsd;
    },
    get vm() {
      if (vm === undefined) throw new Error('setup() first');
      return vm;
    },
    get guest() {
      if (guest === undefined) throw new Error('setup() first');
      return guest;
    },
    get boot() {
      if (boot === undefined) throw new Error('setup() first');
      return boot;
    },
    logs: records,
    async setup() {
      process.env.UVMKIT_HVSOCK_DIR = dir;
      hcsd = await startTestHcsd();
      UtilityVM.use(lifetime);
      UtilityVM.use(scsi);
      UtilityVM.use(plan9);
      UtilityVM.use(network);
      UtilityVM.use(vpmem);
      vm = await UtilityVM.create(uniqueSystemId('gmagent'), lcowDocument());
      guest = new Guest(vm, { logger });
      boot = await guest.prepareBootListeners();
      await guest.prepareConnection();
      await vm.start();
      await guest.createConnection({ timeout: 20_000 });
    },
    async teardown() {
      await guest?.closeConnection().catch(() => {});
      await vm?.terminate().catch(() => {});
      await vm?.close().catch(() => {});
      await hcsd?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    diskPath: () => 'C:\\disks\\agent.vhdx',
    pmemPath: () => 'C:\\layers\\agent.vhd',
    sharePath: (name) => `C:\\shares\\${name}`,
    nic: {
      id: 'e5b7c2a0-3f41-4d2e-9b8c-1a2b3c4d5e6f',
      endpointId: '1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b',
      mac: '00-15-5D-52-C0-42',
    },
    deviceTimeout: 10_000,
    commands: {
      interleave: (n) => ['interleave', String(n)],
      consoleSize: () => ['winsize'],
      output: (bytes) => ({ argv: ['stream', String(bytes)], byteAt: (i) => i % 251 }),
    },
    differences: { nullContainerSignals: 'refused' },
  };
}
