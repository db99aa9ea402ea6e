/**
 * With an in-memory exporter: uvmkit's calls become spans that nest under the span the caller
 * started (the HCS call under its Modify, a guest request under the caller), carry the VM id,
 * operation, resource path, HRESULT and error code, and failed calls have status ERROR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { guestOf } from '@uvmkit/guestmanager';
import { UtilityVM } from '@uvmkit/hcs-core';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { ScsiControllerGuids } from '@uvmkit/hcs-schema';
import { lifetime } from '@uvmkit/lifetime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Attr, type Instrumentation, instrument } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'otel-'));
let hcsd: HcsdProcess;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let instrumentation: Instrumentation | undefined;

beforeAll(async () => {
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime);
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await hcsd.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  instrumentation?.disable();
  instrumentation = undefined;
  exporter.reset();
});

const tracer = provider.getTracer('test');
const idOf = (s: ReadableSpan): string => s.spanContext().spanId;
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
const byName = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);

describe('spans', () => {
  it('nest under the caller’s span: create, start, Modify (with its HCS call), a failure', async () => {
    instrumentation = instrument({ tracerProvider: provider });
    const id = uniqueSystemId('otel');
    const path = `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/1`;
    const callerId = await tracer.startActiveSpan('caller', async (caller) => {
      const vm = await UtilityVM.create(id, lcowDocument({ guestConnection: false }));
      await vm.start();
      await vm.modify({
        ResourcePath: path,
        RequestType: 'Add',
        Settings: { Type: 'VirtualDisk', Path: 'C:\\o.vhdx' },
      });
      await hcsd.control.fault({ method: 'Modify', count: 1, hresult: 0x80070005, id });
      await rejection(vm.modify({ ResourcePath: path, RequestType: 'Remove' }));
      await vm.terminate();
      await vm.close();
      caller.end();
      return caller.spanContext().spanId;
    });
    const spans = exporter.getFinishedSpans();
    const top = spans
      .filter((s) => parentOf(s) === callerId && s.name !== 'uvmkit.vm.state')
      .map((s) => s.name);
    expect(top).toEqual([
      'HcsCreateComputeSystem',
      'HcsGetComputeSystemProperties',
      'HcsStartComputeSystem',
      'UtilityVM.modify',
      'UtilityVM.modify',
      'HcsTerminateComputeSystem',
      'HcsCloseComputeSystem',
    ]);
    // A state change a call caused is a child of that call's span.
    const states = byName(spans, 'uvmkit.vm.state');
    const parentName = (s: ReadableSpan): string | undefined =>
      spans.find((x) => idOf(x) === parentOf(s))?.name;
    expect(
      states
        .filter((s) => s.attributes[Attr.state] !== 'Stopped')
        .map((s) => [s.attributes[Attr.state], parentName(s)]),
    ).toEqual([
      ['Created', 'HcsCreateComputeSystem'],
      ['Running', 'HcsStartComputeSystem'],
    ]);
    const [ok, failed] = byName(spans, 'UtilityVM.modify');
    expect(ok?.attributes).toMatchObject({
      [Attr.vmId]: id,
      [Attr.operation]: 'UtilityVM.modify',
      [Attr.resourcePath]: path,
      [Attr.requestType]: 'Add',
      [Attr.hresult]: '0x00000000',
    });
    expect(ok?.status.code).toBe(SpanStatusCode.UNSET);
    const inner = byName(spans, 'HcsModifyComputeSystem');
    expect(inner.map(parentOf)).toEqual([idOf(ok as ReadableSpan), idOf(failed as ReadableSpan)]);
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes).toMatchObject({
      [Attr.hresult]: '0x80070005',
      [Attr.errorCode]: 'ERROR_ACCESS_DENIED',
    });
    expect(failed?.events.map((e) => e.name)).toEqual(['exception']);
    expect(typeof ok?.attributes[Attr.durationMs]).toBe('number');
    // The exit event arrives outside any uvmkit call.
    const stopped = byName(spans, 'uvmkit.vm.state').find((s) => s.attributes[Attr.state] === 'Stopped');
    expect(stopped?.attributes).toMatchObject({
      [Attr.vmId]: id,
      [Attr.stateCause]: 'SystemExited',
      [Attr.exitType]: 'ForcedExit',
    });
    expect(stopped && spans.find((x) => idOf(x) === parentOf(stopped))?.name).not.toMatch(/^Hcs|^UtilityVM/);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  }, 60_000);

  it('guest requests become spans under the caller’s span', async () => {
    instrumentation = instrument({ tracerProvider: provider });
    const vm = await UtilityVM.create(uniqueSystemId('otel'), lcowDocument());
    const guest = guestOf(vm);
    await guest.prepareConnection();
    await vm.start();
    await guest.createConnection({ timeout: 20_000 });
    const callerId = await tracer.startActiveSpan('caller', async (caller) => {
      await guest.addMappedDirectory({ MountPath: '/run/d', ShareName: 'nope', Port: 564 }).catch(() => {});
      await guest.dumpStacks();
      caller.end();
      return caller.spanContext().spanId;
    });
    await guest.closeConnection();
    await vm.terminate();
    await vm.close();
    const spans = exporter.getFinishedSpans().filter((s) => parentOf(s) === callerId);
    expect(
      spans.map((s) => [
        s.name,
        s.attributes[Attr.resourcePath],
        s.attributes[Attr.errorCode],
        s.status.code,
      ]),
    ).toEqual([
      ['guest ModifySettings', 'MappedDirectory', 'ERROR_NOT_FOUND', SpanStatusCode.ERROR],
      ['guest DumpStacks', undefined, undefined, SpanStatusCode.UNSET],
    ]);
    expect(spans[0]?.attributes).toMatchObject({
      [Attr.vmId]: vm.id,
      [Attr.requestType]: 'Add',
      [Attr.hresult]: '0x80070490',
    });
  }, 60_000);

  it('disable() stops producing spans', async () => {
    instrument({ tracerProvider: provider }).disable();
    const vm = await UtilityVM.create(uniqueSystemId('otel'), lcowDocument({ guestConnection: false }));
    await vm.close();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(trace.getActiveSpan()).toBeUndefined();
  }, 60_000);
});
