/**
 * `Guest` through the real path (koffi → shim → hcsd) for the VM, with a fake guest that dials
 * the host's listener the way the GCS does: connection lifecycle, negotiation, cold start,
 * exact request documents, validation, and the failure cases (never dials, VM exits, abort,
 * disconnect).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HcsError, UtilityVM } from '@uvmkit/hcs-core';
import { hvsocketPath } from '@uvmkit/hcs-core/hvsocket';
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { lcowDocument, rejection, startTestHcsd, uniqueSystemId } from '@uvmkit/hcs-emulator/testing';
import { lifetime } from '@uvmkit/lifetime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClosedError, GuestConnectionUnavailable } from '../src/errors.js';
import { Guest, guestOf } from '../src/guest.js';
import { FakeGuest, type Handler, LINUX_NEGOTIATE_RESPONSE } from './helpers/fake-guest.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-guest-'));
let hcsd: HcsdProcess;
const GCS = '40000000-facb-11e6-bd58-64006a7986d3';
const NULL_ID = '00000000-0000-0000-0000-000000000000';

beforeAll(async () => {
  process.env.UVMKIT_HVSOCK_DIR = dir;
  hcsd = await startTestHcsd();
  UtilityVM.use(lifetime);
});
afterAll(async () => {
  await hcsd.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function newVm(): Promise<UtilityVM> {
  return UtilityVM.create(uniqueSystemId('gm'), lcowDocument({ guestConnection: false }));
}

/** prepare → start → fake guest dials → createConnection. */
async function connected(handler?: Handler, serviceId = GCS) {
  const vm = await newVm();
  const guest = new Guest(vm);
  await guest.prepareConnection(serviceId);
  await vm.start();
  const fake = await FakeGuest.dial(hvsocketPath({ vmId: vm.runtimeId, serviceId }, dir), handler);
  const caps = await guest.createConnection();
  return { vm, guest, fake, caps };
}

async function teardown(vm: UtilityVM, guest: Guest) {
  await guest.closeConnection();
  await vm.terminate();
  await vm.close();
}

describe('connection lifecycle', () => {
  it('prepare (idempotent) → start → accept → NegotiateProtocol v4 → capabilities', async () => {
    const { vm, guest, fake, caps } = await connected();
    await guest.prepareConnection(GCS);
    expect(caps).toEqual({
      protocolVersion: 4,
      os: 'linux',
      sendHostCreateMessage: false,
      sendHostStartMessage: false,
      hvSocketConfigOnStartup: false,
      supportedSchemaVersions: [{ Major: 2, Minor: 1 }],
      guestDefined: LINUX_NEGOTIATE_RESPONSE.Capabilities.GuestDefinedCapabilities,
      raw: LINUX_NEGOTIATE_RESPONSE.Capabilities,
    });
    expect(guest.capabilities()).toBe(caps);
    expect(guest.connected).toBe(true);
    expect(fake.received).toHaveLength(1);
    const first = fake.received[0]!;
    expect(first.type).toBe(0x10100b01);
    expect(first.id).toBe(0n);
    expect(first.size).toBe(125);
    expect(first.body).toEqual({
      ContainerId: '',
      ActivityId: NULL_ID,
      MinimumVersion: 4,
      MaximumVersion: 4,
    });
    // a Linux guest asks for no Create/Start: nothing else was sent
    await teardown(vm, guest);
    expect(guest.connected).toBe(false);
  });

  it('prepare for another service while prepared is HCS_E_INVALID_STATE; bad ids are InvalidArgument', async () => {
    const vm = await newVm();
    const guest = guestOf(vm);
    expect(guestOf(vm)).toBe(guest);
    await guest.prepareConnection(GCS);
    const err = await rejection<HcsError>(guest.prepareConnection('acef5661-84a1-4e44-856b-6245e69f4620'));
    expect(err.code).toBe('HCS_E_INVALID_STATE');
    expect(err.hresult).toBe(0x80370105);
    expect((await rejection<HcsError>(guest.prepareConnection('nope'))).code).toBe('InvalidArgument');
    for (const maxFrameSize of [0, 15, 1.5, Number.NaN, 2 ** 32]) {
      let err: HcsError | undefined;
      try {
        new Guest(vm, { maxFrameSize });
      } catch (e) {
        err = e as HcsError;
      }
      expect(err?.code, String(maxFrameSize)).toBe('InvalidArgument');
      expect(err?.message).toMatch(/^Guest: maxFrameSize must be an integer 16\.\.0xFFFFFFFF/);
    }
    await guest.closeConnection();
    await vm.close();
  });

  it('without a connection: GuestConnectionUnavailable for createConnection, capabilities and requests', async () => {
    const vm = await newVm();
    const guest = new Guest(vm);
    const e1 = await rejection<GuestConnectionUnavailable>(guest.createConnection());
    expect(e1).toBeInstanceOf(GuestConnectionUnavailable);
    expect(e1.code).toBe('GuestConnectionUnavailable');
    expect(e1.message).toBe(
      `Guest.createConnection: no guest connection to utility VM ${JSON.stringify(vm.id)}: prepareConnection was not called before the VM started`,
    );
    expect(() => guest.capabilities()).toThrow(GuestConnectionUnavailable);
    const e2 = await rejection<HcsError>(
      guest.addMappedVirtualDisk({ MountPath: '/m', Controller: 0, Lun: 0 }),
    );
    expect(e2.code).toBe('GuestConnectionUnavailable');
    expect(e2.op).toBe('Guest.modify');
    await vm.close();
  });

  it('cold start: SendHostCreateMessage + SendHostStartMessage → Create and Start for the null container', async () => {
    const caps = {
      ...LINUX_NEGOTIATE_RESPONSE.Capabilities,
      RuntimeOsType: '',
      SendHostCreateMessage: true,
      SendHostStartMessage: true,
    };
    const {
      vm,
      guest,
      fake,
      caps: got,
    } = await connected((req, g) => {
      if ((req.type & 0xfffffff) === 0x00100b01) return { ...LINUX_NEGOTIATE_RESPONSE, Capabilities: caps };
      if ((req.type & 0xfffffff) === 0x00100101 || (req.type & 0xfffffff) === 0x00100201) return {};
      return g.defaultAnswer(req);
    });
    expect(got.os).toBe('windows');
    expect(fake.received.map((r) => [r.type, r.id])).toEqual([
      [0x10100b01, 0n],
      [0x10100101, 1n],
      [0x10100201, 2n],
    ]);
    const create = fake.received[1]!.body;
    expect(create.ContainerId).toBe(NULL_ID);
    expect(typeof create.ContainerConfig).toBe('string');
    expect(JSON.parse(create.ContainerConfig as string)).toEqual({
      SystemType: 'Container',
      TimeZoneInformation: {
        Bias: 0,
        StandardName: 'Coordinated Universal Time',
        StandardDate: {
          Year: 0,
          Month: 0,
          DayOfWeek: 0,
          Day: 0,
          Hour: 0,
          Minute: 0,
          Second: 0,
          Milliseconds: 0,
        },
        StandardBias: 0,
        DaylightName: 'Coordinated Universal Time',
        DaylightDate: {
          Year: 0,
          Month: 0,
          DayOfWeek: 0,
          Day: 0,
          Hour: 0,
          Minute: 0,
          Second: 0,
          Milliseconds: 0,
        },
        DaylightBias: 0,
      },
    });
    expect(fake.received[2]!.body).toEqual({ ContainerId: NULL_ID, ActivityId: NULL_ID });
    await teardown(vm, guest);
  });

  it('negotiation failures: Version 3, or no GuestDefinedCapabilities → BridgeProtocolError, bridge closed', async () => {
    for (const [answer, text] of [
      [
        { ...LINUX_NEGOTIATE_RESPONSE, Version: 3 },
        'NegotiationFailed: the guest answered NegotiateProtocol with Version 3, expected 4',
      ],
      [
        { Result: 0, Version: 4, Capabilities: { RuntimeOsType: 'Linux' } },
        'NegotiationFailed: Capabilities.GuestDefinedCapabilities is absent (it must be an object or null)',
      ],
    ] as const) {
      const vm = await newVm();
      const guest = new Guest(vm);
      await guest.prepareConnection();
      await vm.start();
      const fake = await FakeGuest.dial(
        hvsocketPath({ vmId: vm.runtimeId, serviceId: GCS }, dir),
        () => answer,
      );
      const err = await rejection<HcsError>(guest.createConnection());
      expect(err.code).toBe('BridgeProtocolError');
      expect(err.message).toBe(text);
      expect(guest.connected).toBe(false);
      await new Promise<void>((r) => (fake.socket.destroyed ? r() : fake.socket.once('close', () => r())));
      await vm.terminate();
      await vm.close();
    }
  });

  it('a guest that never dials: the VM exiting rejects createConnection with HCS_E_UNEXPECTED_EXIT', async () => {
    const vm = await newVm();
    const guest = new Guest(vm);
    await guest.prepareConnection();
    await vm.start();
    const p = rejection<HcsError>(guest.createConnection());
    await vm.terminate();
    const err = await p;
    expect(err.code).toBe('HCS_E_UNEXPECTED_EXIT');
    expect(err.hresult).toBe(0x80370106);
    expect(guest.connected).toBe(false);
    expect((await rejection<HcsError>(guest.createConnection())).code).toBe('GuestConnectionUnavailable');
    await vm.close();
  });

  it('a guest that never dials: abort → Aborted, timeout → Timeout, and nothing hangs', async () => {
    const vm = await newVm();
    const guest = new Guest(vm);
    await guest.prepareConnection();
    await vm.start();
    const ac = new AbortController();
    const p = guest.createConnection({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error('gave up')), 20);
    const err = await rejection<HcsError>(p);
    expect(err.code).toBe('Aborted');
    expect((err.cause as Error).message).toBe('gave up');
    await guest.prepareConnection();
    const t = await rejection<HcsError>(guest.createConnection({ timeout: 50 }));
    expect(t.code).toBe('Timeout');
    await teardown(vm, guest);
  });

  it('the guest dropping the connection: onDisconnect fires, pending calls BridgeClosed, then Unavailable', async () => {
    const { vm, guest, fake } = await connected((req, g) =>
      (req.type & 0xfffffff) === 0x00100b01 ? g.defaultAnswer(req) : undefined,
    );
    const seen: BridgeClosedError[] = [];
    guest.onDisconnect((e) => seen.push(e));
    const pending = guest.addVPCIDevice({ VMBusGUID: '0b1c8a0e-3f5c-4b62-9a21-6d5b0c7e3a11' });
    await fake.waitFor(2);
    fake.close();
    const err = await rejection<BridgeClosedError>(pending);
    expect(err).toBeInstanceOf(BridgeClosedError);
    expect(err.reason).toBe('eof');
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.reason).toBe('eof');
    const after = await rejection<GuestConnectionUnavailable>(guest.updateCgroupMemoryLimits());
    expect(after.code).toBe('GuestConnectionUnavailable');
    expect(after.cause).toBe(seen[0]);
    // reconnect: prepare again, the guest re-dials, no cold-start messages
    await guest.prepareConnection();
    const again = await FakeGuest.dial(hvsocketPath({ vmId: vm.runtimeId, serviceId: GCS }, dir));
    await guest.createConnection({ coldStart: false });
    await guest.updateCgroupMemoryLimits();
    expect(again.received.map((r) => r.id)).toEqual([0n, 1n]);
    await teardown(vm, guest);
  });

  it('closeConnection rejects pending calls with BridgeClosed (local)', async () => {
    const { vm, guest, fake } = await connected((req, g) =>
      (req.type & 0xfffffff) === 0x00100b01 ? g.defaultAnswer(req) : undefined,
    );
    const p = guest.updateCgroupMemoryLimits();
    await fake.waitFor(2);
    await guest.closeConnection();
    const err = await rejection<BridgeClosedError>(p);
    expect(err.reason).toBe('local');
    await vm.terminate();
    await vm.close();
  });
});
