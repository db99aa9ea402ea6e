/**
 * Guest requests on hcs-core's `uvmkit:guest:request` tracing channel: a subscriber sees
 * start/end for NegotiateProtocol and a ModifySettings (with its ResourceType and RequestType),
 * and an error event with the guest's HRESULT and code when the agent fails a request (a fault
 * of the emulated agent; the shared suite ./agent/suite.ts traces a real failure on both agents).
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TraceContext, TracingChannels, UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { scsi } from '@uvmkit/scsi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guest } from '../src/guest.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-tr-'));
let hcsd: HcsdProcess;
beforeAll(async () => {
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime).use(scsi);
});
afterAll(async () => {
  await hcsd.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('guest request tracing', () => {
  it('start/end with the procedure, resource type and request type; error with the HRESULT', async () => {
    const seen: {
      event: string;
      ctx: TraceContext;
      hresult: number | undefined;
      code: string | undefined;
    }[] = [];
    const ch = tracingChannel<object, TraceContext>(TracingChannels.guestRequest);
    const on = (event: string) => (ctx: TraceContext) => {
      seen.push({ event, ctx, hresult: ctx.hresult, code: ctx.errorCode });
    };
    const handlers = { start: on('start'), asyncEnd: on('asyncEnd'), error: on('error') };
    ch.subscribe(handlers as never);
    const vm = await UtilityVM.create(uniqueSystemId('gmtrace'), lcowDocument());
    const guest = new Guest(vm);
    try {
      await guest.prepareConnection();
      await vm.start();
      await guest.createConnection({ timeout: 20_000 });
      await vm.addSCSIDisk({ Type: 'VirtualDisk', Path: 'C:\\t.vhdx' }, 0, 1);
      await guest.addMappedVirtualDisk({ MountPath: '/run/mounts/t', Controller: 0, Lun: 1 });
      await hcsd.control.guestFault(vm.id, {
        kind: 'fail',
        hresult: 0x80070005,
        procedure: 'ModifySettings',
      });
      const err = await rejection(
        guest.removeMappedVirtualDisk({ MountPath: '/run/mounts/t', Controller: 0, Lun: 1 }),
      );
      expect(err).toMatchObject({ code: 'ERROR_ACCESS_DENIED' });
    } finally {
      ch.unsubscribe(handlers as never);
      await guest.closeConnection();
      await vm.terminate();
      await vm.close();
    }
    const rows = seen.map((s) => [
      s.event,
      s.ctx.operation,
      s.ctx.resourcePath,
      s.ctx.requestType,
      s.hresult,
      s.code,
    ]);
    expect(rows).toEqual([
      ['start', 'NegotiateProtocol', undefined, undefined, undefined, undefined],
      ['asyncEnd', 'NegotiateProtocol', undefined, undefined, 0, undefined],
      ['start', 'ModifySettings', 'MappedVirtualDisk', 'Add', undefined, undefined],
      ['asyncEnd', 'ModifySettings', 'MappedVirtualDisk', 'Add', 0, undefined],
      ['start', 'ModifySettings', 'MappedVirtualDisk', 'Remove', undefined, undefined],
      ['error', 'ModifySettings', 'MappedVirtualDisk', 'Remove', 0x80070005, 'ERROR_ACCESS_DENIED'],
      ['asyncEnd', 'ModifySettings', 'MappedVirtualDisk', 'Remove', 0x80070005, 'ERROR_ACCESS_DENIED'],
    ]);
    expect(seen.every((s) => s.ctx.vmId === vm.id && s.ctx.kind === 'uvmkit:guest:request')).toBe(true);
    expect(seen[1]?.ctx.duration).toBeGreaterThan(0);
  }, 60_000);
});
