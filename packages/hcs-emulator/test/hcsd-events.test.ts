import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HcsdEvent } from '../src/client.js';
import { HR } from '../src/hcsd/errors.js';
import { EventType } from '../src/hcsd/methods.js';
import { type HcsdProcess, startHcsd } from '../src/start.js';
import { i32, TestClient, until, vmConfig } from './helpers/hcsd.js';

let hcsd: HcsdProcess;
let a: TestClient;
let b: TestClient;
let n = 0;

beforeAll(async () => {
  hcsd = await startHcsd();
  a = await TestClient.connect(hcsd.socketPath, 'a');
  b = await TestClient.connect(hcsd.socketPath, 'b');
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await hcsd?.stop();
});

function eventsFor(client: TestClient, tokens: bigint[]): HcsdEvent[] {
  return client.events.filter((e) => tokens.includes(e.token));
}

/** A running system with two tokens in client a and one in client b. */
async function setup(): Promise<{ id: string; a1: bigint; a2: bigint; b1: bigint }> {
  const id = `ev-${++n}`;
  const a1 = await a.running(id);
  const a2 = (await a.call('Open', 0n, [id])).value;
  const b1 = (await b.call('Open', 0n, [id])).value;
  return { id, a1, a2, b1 };
}

const exitStatus = (type: string, status: number, detail: string, initiator: string) =>
  JSON.stringify({
    Status: status,
    ExitType: type,
    Attribution: [{ SystemExit: { Detail: detail, Initiator: initiator } }],
  });

describe('SystemExited', () => {
  for (const [method, type, status, detail, initiator] of [
    ['ShutDown', 'GracefulExit', 0, 'Shutdown', 'Client'],
    ['Terminate', 'ForcedExit', 0, 'Terminate', 'Client'],
  ] as const) {
    it(`${method} → ${type}, exactly once to every open token of both clients`, async () => {
      const { a1, a2, b1 } = await setup();
      expect((await b.call(method, b1)).hresult).toBe(0);
      const data = exitStatus(type, status, detail, initiator);
      await until(() => eventsFor(a, [a1, a2]).length === 2 && eventsFor(b, [b1]).length === 1);
      expect(eventsFor(a, [a1, a2]).sort((x, y) => Number(x.token - y.token))).toEqual([
        { token: a1, eventType: EventType.SystemExited, eventData: data },
        { token: a2, eventType: EventType.SystemExited, eventData: data },
      ]);
      expect(eventsFor(b, [b1])).toEqual([{ token: b1, eventType: EventType.SystemExited, eventData: data }]);
      // a second stop is refused and sends nothing
      expect((await a.call('Terminate', a1)).hresult).toBe(HR.HCS_E_SYSTEM_ALREADY_STOPPED);
      expect((await a.call('ShutDown', a2)).hresult).toBe(HR.HCS_E_SYSTEM_ALREADY_STOPPED);
      await new Promise((r) => setTimeout(r, 20));
      expect(eventsFor(a, [a1, a2])).toHaveLength(2);
      expect(eventsFor(b, [b1])).toHaveLength(1);
    });
  }

  it('Crash → CrashInitiated, CrashReport, then SystemExited(UnexpectedExit), in order', async () => {
    const { id, a1, a2, b1 } = await setup();
    expect((await a.call('Crash', a1, [JSON.stringify({ Type: 'CrashGuest' })])).hresult).toBe(0);
    await until(() => eventsFor(b, [b1]).length === 3 && eventsFor(a, [a1, a2]).length === 6);
    const report = JSON.stringify({
      SystemId: id,
      CrashParameters: [0, 0, 0, 0, 0],
      Status: i32(HR.HCS_E_UNEXPECTED_EXIT),
      CrashStackUnavailable: true,
    });
    const exit = exitStatus('UnexpectedExit', i32(HR.HCS_E_UNEXPECTED_EXIT), 'UnexpectedExit', 'GuestOS');
    expect(eventsFor(b, [b1])).toEqual([
      { token: b1, eventType: EventType.SystemCrashInitiated, eventData: report },
      { token: b1, eventType: EventType.SystemCrashReport, eventData: report },
      { token: b1, eventType: EventType.SystemExited, eventData: exit },
    ]);
    expect(eventsFor(a, [a1]).map((e) => e.eventType)).toEqual([2, 3, 1]);
    expect(eventsFor(a, [a2]).map((e) => e.eventType)).toEqual([2, 3, 1]);
  });

  it('crashVm (control) → UnexpectedExit; a closed token receives nothing', async () => {
    const { id, a1, a2, b1 } = await setup();
    expect((await a.call('Close', a2)).hresult).toBe(0);
    await hcsd.control.crashVm(id);
    await until(() => eventsFor(b, [b1]).length === 3 && eventsFor(a, [a1]).length === 3);
    expect(eventsFor(a, [a2])).toEqual([]);
    expect(JSON.parse(eventsFor(a, [a1])[2]!.eventData!)).toMatchObject({ ExitType: 'UnexpectedExit' });
    await expect(hcsd.control.crashVm(id)).rejects.toMatchObject({
      hresult: HR.HCS_E_SYSTEM_ALREADY_STOPPED,
    });
    await expect(hcsd.control.crashVm('nope')).rejects.toMatchObject({ hresult: HR.HCS_E_SYSTEM_NOT_FOUND });
  });

  it('crashing a system nobody holds tears it down', async () => {
    const id = `ev-${++n}`;
    const t = await a.running(id);
    await a.call('Close', t);
    await hcsd.control.crashVm(id);
    expect((await a.call('Open', 0n, [id])).hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
  });

  it('the last-handle terminate sends no event to anyone (no token is left)', async () => {
    const id = `ev-${++n}`;
    const t = await a.running(id, vmConfig({ terminate: true }));
    const before = a.events.length;
    await a.call('Close', t);
    await new Promise((r) => setTimeout(r, 20));
    expect(a.events.length).toBe(before);
    expect((await a.call('Open', 0n, [id])).hresult).toBe(HR.HCS_E_SYSTEM_NOT_FOUND);
  });
});
