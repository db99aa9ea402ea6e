/**
 * Tracing: a diagnostics_channel subscriber sees start/end (and error) events with the VM id,
 * operation, resource path, duration, HRESULT and error code, for a create, a Modify and a
 * failing call; state changes arrive on their channel; without subscribers nothing is published.
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type TraceContext,
  TracingChannels,
  traced,
  VM_STATE_CHANNEL,
  type VmStateMessage,
} from '../src/tracing.js';
import { systemOf, UtilityVM } from '../src/utility-vm.js';
import { rejection, startDaemon, uniqueId, vmConfig } from './helpers/env.js';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

interface Seen {
  event: string;
  ctx: TraceContext;
  /** A copy of the fields at the time of the event. */
  at: Pick<TraceContext, 'duration' | 'hresult' | 'errorCode'>;
}

const unsubscribe: (() => void)[] = [];
afterEach(() => {
  for (const u of unsubscribe.splice(0)) u();
});

/** Record every event of `name` (all five TracingChannel events). */
function record(name: string): Seen[] {
  const seen: Seen[] = [];
  const ch = tracingChannel<object, TraceContext>(name);
  const on =
    (event: string) =>
    (ctx: TraceContext): void => {
      seen.push({
        event,
        ctx,
        at: { duration: ctx.duration, hresult: ctx.hresult, errorCode: ctx.errorCode },
      });
    };
  const handlers = {
    start: on('start'),
    end: on('end'),
    asyncStart: on('asyncStart'),
    asyncEnd: on('asyncEnd'),
    error: on('error'),
  };
  ch.subscribe(handlers as never);
  unsubscribe.push(() => ch.unsubscribe(handlers as never));
  return seen;
}

function states(): VmStateMessage[] {
  const seen: VmStateMessage[] = [];
  const ch = channel(VM_STATE_CHANNEL);
  const fn = (m: unknown): void => {
    seen.push(m as VmStateMessage);
  };
  ch.subscribe(fn);
  unsubscribe.push(() => ch.unsubscribe(fn));
  return seen;
}

const ops = (seen: Seen[], event: string): string[] =>
  seen.filter((s) => s.event === event).map((s) => s.ctx.operation);

describe('HCS calls', () => {
  it('a create publishes start, end, asyncStart, asyncEnd with the fields', async () => {
    const calls = record(TracingChannels.hcsCall);
    const id = uniqueId('trace');
    const vm = await UtilityVM.create(id, vmConfig());
    expect(ops(calls, 'start')).toEqual(['HcsCreateComputeSystem', 'HcsGetComputeSystemProperties']);
    const create = calls.filter((s) => s.ctx.operation === 'HcsCreateComputeSystem');
    expect(create.map((s) => s.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const ctx = create[0]?.ctx as TraceContext;
    expect(create.every((s) => s.ctx === ctx)).toBe(true); // one context object per call
    expect(ctx).toMatchObject({
      kind: 'uvmkit:hcs:call',
      vmId: id,
      operation: 'HcsCreateComputeSystem',
      resourcePath: undefined,
      hresult: 0,
      errorCode: undefined,
    });
    expect(create[0]?.at).toEqual({ duration: undefined, hresult: undefined, errorCode: undefined });
    expect(create[3]?.at.duration).toBeGreaterThan(0);
    expect(create[3]?.at.hresult).toBe(0);
    await vm.close();
    expect(ops(calls, 'asyncEnd')).toContain('HcsCloseComputeSystem');
  });

  it('a failing call publishes error with the HRESULT and code', async () => {
    const calls = record(TracingChannels.hcsCall);
    const err = await rejection(UtilityVM.open('trace-no-such-vm'));
    expect(err).toMatchObject({ code: 'HCS_E_SYSTEM_NOT_FOUND' });
    expect(calls.map((s) => s.event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    const ctx = calls[0]?.ctx as TraceContext;
    expect(ctx.error).toBe(err);
    expect(calls[2]?.at).toEqual({
      duration: ctx.duration,
      hresult: 0x8037010e,
      errorCode: 'HCS_E_SYSTEM_NOT_FOUND',
    });
    expect(ctx).toMatchObject({ vmId: 'trace-no-such-vm', operation: 'HcsOpenComputeSystem' });
  });
});

describe('Modify', () => {
  it('publishes the resource path and request type; the HCS call nests inside', async () => {
    const id = uniqueId('trace');
    const vm = await UtilityVM.create(id, vmConfig());
    try {
      await systemOf(vm).start();
      const modifies = record(TracingChannels.modify);
      const calls = record(TracingChannels.hcsCall);
      const path = `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/2`;
      const request = {
        ResourcePath: path,
        RequestType: 'Add',
        Settings: { Type: 'VirtualDisk', Path: 'C:\\t.vhdx' },
      };
      await vm.modify(request);
      expect(modifies.map((s) => s.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
      expect(modifies[0]?.ctx).toMatchObject({
        kind: 'uvmkit:hcs:modify',
        vmId: id,
        operation: 'UtilityVM.modify',
        resourcePath: path,
        requestType: 'Add',
        hresult: 0,
      });
      // The HCS call started after the Modify and settled before it.
      expect(ops(calls, 'start')).toEqual(['HcsModifyComputeSystem']);
      const m = modifies[0]?.ctx as TraceContext;
      const c = calls[0]?.ctx as TraceContext;
      expect(c.startTime).toBeGreaterThanOrEqual(m.startTime);
      expect((c.duration as number) <= (m.duration as number)).toBe(true);

      // hcsd refuses the next Modify (fault injection): the error event carries its HRESULT.
      await hcsd.control.fault({ method: 'Modify', count: 1, hresult: 0x80070005, id });
      const err = await rejection(vm.modify(request));
      expect(err).toMatchObject({ code: 'ERROR_ACCESS_DENIED' });
      const failed = modifies.filter((s) => s.event === 'error');
      expect(failed.map((s) => [s.ctx.resourcePath, s.at.hresult, s.at.errorCode])).toEqual([
        [path, 0x80070005, 'ERROR_ACCESS_DENIED'],
      ]);
    } finally {
      await vm.close();
    }
  });
});

describe('VM state changes', () => {
  it('Created, Running, Paused, Running, Stopped (from the exit event)', async () => {
    const seen = states();
    const id = uniqueId('trace');
    const vm = await UtilityVM.create(id, vmConfig());
    const system = systemOf(vm);
    await system.start();
    await system.pause();
    await system.resume();
    await system.terminate();
    await vm.exited;
    await vm.close();
    expect(seen.filter((m) => m.vmId === id)).toEqual([
      { vmId: id, state: 'Created', cause: 'HcsCreateComputeSystem' },
      { vmId: id, state: 'Running', cause: 'HcsStartComputeSystem' },
      { vmId: id, state: 'Paused', cause: 'HcsPauseComputeSystem' },
      { vmId: id, state: 'Running', cause: 'HcsResumeComputeSystem' },
      { vmId: id, state: 'Stopped', cause: 'SystemExited', exitType: 'ForcedExit' },
    ]);
  });
});

describe('without subscribers', () => {
  it('nothing is published and the start fields are not even built', async () => {
    const ch = tracingChannel(TracingChannels.guestRequest);
    expect(ch.hasSubscribers).toBe(false);
    let built = 0;
    const value = await traced(
      TracingChannels.guestRequest,
      () => {
        built++;
        return { operation: 'x' };
      },
      async () => 42,
    );
    expect(value).toBe(42);
    expect(built).toBe(0);
    const seen = record(TracingChannels.guestRequest);
    await traced(
      TracingChannels.guestRequest,
      () => {
        built++;
        return { operation: 'x', vmId: 'v' };
      },
      async () => 43,
    );
    expect(built).toBe(1);
    expect(seen.map((s) => [s.event, s.ctx.operation, s.ctx.vmId])).toEqual([
      ['start', 'x', 'v'],
      ['end', 'x', 'v'],
      ['asyncStart', 'x', 'v'],
      ['asyncEnd', 'x', 'v'],
    ]);
  });
});
