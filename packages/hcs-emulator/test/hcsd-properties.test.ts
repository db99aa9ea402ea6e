import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HR } from '../src/hcsd/errors.js';
import { type HcsdProcess, startHcsd } from '../src/start.js';
import { i32, resultError, TestClient, vmConfig } from './helpers/hcsd.js';

let hcsd: HcsdProcess;
let c: TestClient;
let n = 0;

beforeAll(async () => {
  hcsd = await startHcsd();
  c = await TestClient.connect(hcsd.socketPath);
});
afterAll(async () => {
  await c?.close();
  await hcsd?.stop();
});

describe('GetProperties', () => {
  it('absent and {} queries give the basic document', async () => {
    const id = `props-${++n}`;
    const t = await c.create(id, vmConfig({ Owner: 'team-a' }));
    const runtimeId = (await hcsd.control.system(id)).runtimeId;
    const basic = {
      Id: id,
      SystemType: 'VirtualMachine',
      RuntimeOsType: 'Windows',
      Name: id,
      Owner: 'team-a',
      RuntimeId: runtimeId,
      State: 'Created',
      Stopped: false,
    };
    expect(await c.props(t)).toEqual(basic);
    expect(await c.props(t, {})).toEqual(basic);
    expect((await c.call('GetProperties', t, [''])).json).toEqual(basic);
  });

  it('RuntimeOsType: LinuxKernelDirect → Linux; Container → Windows; HostedSystem → Unknown', async () => {
    const linux = await c.create(`props-${++n}`, vmConfig({ linux: true }));
    expect((await c.props(linux)).RuntimeOsType).toBe('Linux');
    const ct = await c.create(`props-${++n}`, { SchemaVersion: { Major: 2, Minor: 1 }, Container: {} });
    expect(await c.props(ct)).toMatchObject({ SystemType: 'Container', RuntimeOsType: 'Windows' });
    const hosted = await c.create(`props-${++n}`, {
      SchemaVersion: { Major: 2, Minor: 1 },
      HostedSystem: { x: 1 },
      HostingSystemId: 'uvm-1',
    });
    expect(await c.props(hosted)).toMatchObject({
      SystemType: 'Container',
      RuntimeOsType: 'Unknown',
      HostingSystemId: 'uvm-1',
    });
  });

  it('V2 PropertyTypes: Memory, Statistics, ProcessList, GuestConnection, TerminateOnLastHandleClosed, SystemGUID', async () => {
    const id = `props-${++n}`;
    const t = await c.create(id, vmConfig({ terminate: true }));
    const before = await c.props(t, { PropertyTypes: ['Statistics', 'GuestConnection'] });
    expect(before.GuestConnectionInfo).toBeUndefined();
    expect((before.Statistics as { Uptime100ns: number }).Uptime100ns).toBe(0);
    await c.call('Start', t);
    await new Promise((r) => setTimeout(r, 30));
    const p = await c.props(t, {
      PropertyTypes: [
        'Memory',
        'Statistics',
        'ProcessList',
        'GuestConnection',
        'TerminateOnLastHandleClosed',
        'SystemGUID',
        'ICHeartbeatStatus',
      ],
    });
    const runtimeId = (await hcsd.control.system(id)).runtimeId;
    expect(p.Memory).toEqual({
      VirtualNodeCount: 1,
      VirtualMachineMemory: {
        AvailableMemory: 512,
        AvailableMemoryBuffer: 0,
        ReservedMemory: 0,
        AssignedMemory: 1024,
        SlpActive: false,
        BalancingEnabled: false,
        DmOperationInProgress: false,
      },
      VirtualNodes: [
        { VirtualNodeIndex: 0, PhysicalNodeNumber: 0, VirtualProcessorCount: 2, MemoryUsageInPages: 262144 },
      ],
    });
    const stats = p.Statistics as Record<string, unknown> & {
      Uptime100ns: number;
      Processor: Record<string, number>;
    };
    expect(Object.keys(stats).sort()).toEqual([
      'ContainerStartTime',
      'Memory',
      'Processor',
      'Timestamp',
      'Uptime100ns',
    ]);
    expect(stats.Uptime100ns).toBeGreaterThanOrEqual(250_000);
    expect(stats.Processor.TotalRuntime100ns).toBe(Math.floor((stats.Uptime100ns * 2) / 4));
    expect(stats.Processor.RuntimeUser100ns! + stats.Processor.RuntimeKernel100ns!).toBe(
      stats.Processor.TotalRuntime100ns,
    );
    expect(stats.Memory).toEqual({
      MemoryUsageCommitBytes: 536870912,
      MemoryUsageCommitPeakBytes: 536870912,
      MemoryUsagePrivateWorkingSetBytes: 268435456,
    });
    expect(Date.parse(stats.Timestamp as string)).toBeGreaterThanOrEqual(
      Date.parse(stats.ContainerStartTime as string),
    );
    expect(p.ProcessList).toEqual([]);
    expect(p.GuestConnectionInfo).toEqual({
      SupportedSchemaVersions: [{ Major: 2, Minor: 1 }],
      ProtocolVersion: 4,
      GuestDefinedCapabilities: {},
    });
    expect(p.TerminateOnLastHandleClosed).toBe(true);
    expect(p.SystemGUID).toBe(runtimeId);
    expect(p.ICHeartbeatStatus).toBeUndefined();
    expect(p.State).toBe('Running');
  });

  it('SharedMemoryRegion reports the regions of the device table', async () => {
    const t = await c.running(`props-${++n}`);
    await c.modify(t, {
      ResourcePath: 'VirtualMachine/Devices/SharedMemory/Regions',
      RequestType: 'Add',
      Settings: { SectionName: 's1', Length: 4096 },
    });
    const p = await c.props(t, { PropertyTypes: ['SharedMemoryRegion'] });
    expect(p.SharedMemoryRegionInfo).toEqual([{ SectionName: 's1', GuestPhysicalAddress: 0x1_0000_0000 }]);
  });

  it('V3 Queries → PropertyResponses (known, CompatibilityInfo, unsupported)', async () => {
    const id = `props-${++n}`;
    const t = await c.running(id);
    const p = await c.props(t, { Queries: { CompatibilityInfo: null, Statistics: {}, Bogus: null } });
    const responses = p.PropertyResponses as Record<string, { Response?: unknown; Error?: unknown }>;
    expect(Object.keys(responses).sort()).toEqual(['Bogus', 'CompatibilityInfo', 'Statistics']);
    const data = (responses.CompatibilityInfo!.Response as { Data: string }).Data;
    expect(JSON.parse(Buffer.from(data, 'base64').toString())).toEqual({
      RuntimeId: (await hcsd.control.system(id)).runtimeId,
      Emulated: true,
    });
    expect((responses.Statistics!.Response as { Uptime100ns: number }).Uptime100ns).toBeGreaterThanOrEqual(0);
    expect(responses.Bogus).toEqual({
      Error: { Error: i32(HR.ERROR_NOT_SUPPORTED), ErrorMessage: 'property query "Bogus" is not supported' },
    });
  });

  it('a V3 query named __proto__ gets its own response entry', async () => {
    const t = await c.running(`props-${++n}`);
    const r = await c.call('GetProperties', t, ['{"Queries":{"__proto__":null}}']);
    expect(r.hresult).toBe(0);
    const responses = (JSON.parse(r.document!) as { PropertyResponses: object }).PropertyResponses;
    expect(Object.keys(responses)).toEqual(['__proto__']);
  });

  it('bad queries: unparsable → HCS_E_INVALID_JSON; unknown property type → E_INVALIDARG with path; bad token → E_HANDLE', async () => {
    const t = await c.create(`props-${++n}`);
    expect((await c.call('GetProperties', t, ['{'])).hresult).toBe(HR.HCS_E_INVALID_JSON);
    const r = await c.call('GetProperties', t, [JSON.stringify({ PropertyTypes: ['Memory', 'Nope'] })]);
    expect(r.hresult).toBe(HR.E_INVALIDARG);
    expect(resultError(r).ErrorMessage).toMatch(/^invalid PropertyQuery: PropertyTypes\.1: /);
    expect((await c.call('GetProperties', 0n, [])).hresult).toBe(HR.E_HANDLE);
    expect((await c.call('GetProperties', 999999n, [])).hresult).toBe(HR.E_HANDLE);
  });
});

describe('service properties and settings', () => {
  it('Basic, CpuGroup after CreateGroup/DeleteGroup, errors', async () => {
    const basic = await c.call('GetServiceProperties', 0n, []);
    expect(basic.json).toEqual({ Properties: [{ SupportedSchemaVersions: [{ Major: 2, Minor: 6 }] }] });
    const gid = '11111111-2222-3333-4444-555555555555';
    const create = {
      PropertyType: 'CpuGroup',
      Settings: { Operation: 'CreateGroup', OperationDetails: { GroupId: gid, LogicalProcessors: [0, 1] } },
    };
    expect((await c.call('ModifyServiceSettings', 0n, [JSON.stringify(create)])).hresult).toBe(0);
    expect((await c.call('ModifyServiceSettings', 0n, [JSON.stringify(create)])).hresult).toBe(
      HR.ERROR_ALREADY_EXISTS,
    );
    const groups = await c.call('GetServiceProperties', 0n, [
      JSON.stringify({ PropertyTypes: ['CpuGroup'] }),
    ]);
    expect(groups.json).toEqual({
      Properties: [
        {
          CpuGroups: [
            {
              GroupId: gid,
              Affinity: { LogicalProcessorCount: 2, LogicalProcessors: [0, 1] },
              GroupProperties: [],
            },
          ],
        },
      ],
    });
    const del = {
      PropertyType: 'CpuGroup',
      Settings: { Operation: 'DeleteGroup', OperationDetails: { GroupId: gid } },
    };
    expect((await c.call('ModifyServiceSettings', 0n, [JSON.stringify(del)])).hresult).toBe(0);
    expect((await c.call('ModifyServiceSettings', 0n, [JSON.stringify(del)])).hresult).toBe(
      HR.ERROR_NOT_FOUND,
    );
    expect((await c.call('ModifyServiceSettings', 0n, ['nope'])).hresult).toBe(HR.HCS_E_INVALID_JSON);
    expect((await c.call('ModifyServiceSettings', 0n, ['{}'])).hresult).toBe(HR.E_INVALIDARG);
    expect(
      (await c.call('GetServiceProperties', 0n, [JSON.stringify({ PropertyTypes: ['Fancy'] })])).hresult,
    ).toBe(HR.E_INVALIDARG);
  });
});
