/**
 * The LCOW boot listeners (entropy on vsock port 1, the guest's log on port 109) against hcsd's
 * emulated guest, which reads entropy and opens its log stream before it dials the bridge when
 * the kernel command line says `-e 1 … -e 109`: what only the emulator shows (its own counts;
 * the shared suite ./agent/suite.ts checks the same listeners against both agents); and the
 * log-line parsing on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogFields, type Logger, UtilityVM } from '@uvmkit/hcs-core';
import { dial, vsockServiceId } from '@uvmkit/hcs-core/hvsocket';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardLogLine } from '../src/boot.js';
import { Guest } from '../src/guest.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-boot-'));
let hcsd: HcsdProcess;

beforeAll(async () => {
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime);
});
afterAll(async () => {
  await hcsd.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Record_ {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

function recorder(): { logger: Logger; records: Record_[] } {
  const records: Record_[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      records.push({ level, message, fields });
    };
  return { records, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('boot listeners', () => {
  it('the emulated guest read 512 bytes of entropy before it dialled (its own count) and its log stream is connected; prepare is idempotent', async () => {
    const { logger, records } = recorder();
    const vm = await UtilityVM.create(uniqueSystemId('gmboot'), lcowDocument());
    const guest = new Guest(vm, { logger });
    try {
      const boot = await guest.prepareBootListeners();
      expect(await guest.prepareBootListeners()).toBe(boot);
      await guest.prepareConnection();
      await vm.start();
      await guest.createConnection({ timeout: 20_000 });
      const g = await hcsd.control.guest(vm.id);
      expect(g.entropyBytes).toBe(512);
      expect(boot.entropyServed).toBe(512);
      expect(g.log.connected).toBe(true);
      await until(() => records.some((r) => r.message === 'emulated gcs started'));
      expect(records.find((r) => r.message === 'emulated gcs started')).toEqual({
        level: 'info',
        message: 'emulated gcs started',
        fields: { time: expect.any(String), vm: vm.id, vmId: vm.id, source: 'guest' },
      });
    } finally {
      await guest.closeConnection();
      await vm.terminate().catch(() => {});
      await vm.close();
    }
  });

  it('without boot listeners the emulated guest skips them (emulator choice) and still connects', async () => {
    const vm = await UtilityVM.create(uniqueSystemId('gmboot'), lcowDocument());
    const guest = new Guest(vm);
    try {
      await guest.prepareConnection();
      await vm.start();
      await guest.createConnection({ timeout: 20_000 });
      const g = await hcsd.control.guest(vm.id);
      expect(g.entropyBytes).toBeNull();
      expect(g.log).toEqual({ connected: false, lines: 0, dropped: 0 });
    } finally {
      await guest.closeConnection();
      await vm.terminate().catch(() => {});
      await vm.close();
    }
  });

  it('the log listener parses JSON lines (level mapping, fields) and passes other lines as text; split writes', async () => {
    const { logger, records } = recorder();
    const vm = await UtilityVM.create(uniqueSystemId('gmboot'), lcowDocument({ guestConnection: false }));
    const guest = new Guest(vm, { logger });
    try {
      const boot = await guest.prepareBootListeners({ entropy: false });
      const s = await dial({ vmId: vm.runtimeId, serviceId: vsockServiceId(109) });
      s.write('{"level":"warning","msg":"disk slow","dev":"sda"}\n{"level":"er');
      s.write('ror","msg":"boom"}\nplain text line\r\n[1,2]\n{"msg":"no level"}\n{"level":"debug"');
      s.end();
      await boot.done;
      expect(records).toEqual([
        { level: 'warn', message: 'disk slow', fields: { dev: 'sda', vmId: vm.id, source: 'guest' } },
        { level: 'error', message: 'boom', fields: { vmId: vm.id, source: 'guest' } },
        { level: 'info', message: 'plain text line', fields: { vmId: vm.id, source: 'guest' } },
        { level: 'info', message: '[1,2]', fields: { vmId: vm.id, source: 'guest' } },
        { level: 'info', message: 'no level', fields: { vmId: vm.id, source: 'guest' } },
        { level: 'info', message: '{"level":"debug"', fields: { vmId: vm.id, source: 'guest' } },
      ]);
      expect(boot.logLines).toBe(6);
    } finally {
      await guest.closeConnection();
      await vm.close();
    }
  });

  it('forwardLogLine: a JSON line whose msg is not a string is logged as the whole line', () => {
    const { logger, records } = recorder();
    forwardLogLine(logger, 'vm-1', '{"level":"panic","msg":5}');
    expect(records).toEqual([
      { level: 'error', message: '{"level":"panic","msg":5}', fields: { vmId: 'vm-1', source: 'guest' } },
    ]);
  });
});
