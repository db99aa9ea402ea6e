/**
 * The GCS guest request schemas (src/schema/guest/): valid and invalid documents, and
 * `decodeGuestRequest` naming the field and its Go type as a guest's decoder does.
 */
import { describe, expect, it } from 'vitest';
import {
  BlockCimsSettings,
  CombinedLayersSettings,
  CreateRequest,
  check,
  decodeGuestRequest,
  ExecuteProcessRequest,
  ExecuteProcessSettings,
  GuestModificationRequest,
  GuestResourceType,
  LcowMappedVirtualDiskSettings,
  LcowNetworkAdapterSettings,
  LinuxContainerConfigDocument,
  NegotiateProtocolRequest,
  ProcessParametersDocument,
  ResizeConsoleRequest,
  ScsiDeviceSettings,
  SignalProcessRequest,
  VpmemDeviceSettings,
  WaitForProcessRequest,
} from '../src/index.js';

const ZERO = '00000000-0000-0000-0000-000000000000';

describe('bridge messages', () => {
  it('accept what guestmanager sends', () => {
    const base = { ContainerId: ZERO, ActivityId: ZERO };
    expect(
      decodeGuestRequest(NegotiateProtocolRequest, { ...base, MinimumVersion: 4, MaximumVersion: 4 }),
    ).toEqual({
      ok: true,
      value: { ...base, MinimumVersion: 4, MaximumVersion: 4 },
    });
    expect(
      decodeGuestRequest(WaitForProcessRequest, { ...base, ProcessId: 100, TimeoutInMs: 0xffffffff }).ok,
    ).toBe(true);
    expect(
      decodeGuestRequest(SignalProcessRequest, { ...base, ProcessId: 1, Options: { Signal: 15 } }).ok,
    ).toBe(true);
    expect(
      decodeGuestRequest(SignalProcessRequest, { ...base, ProcessId: 1, Options: { Signal: 'CtrlC' } }).ok,
    ).toBe(true);
    expect(
      decodeGuestRequest(ResizeConsoleRequest, { ...base, ProcessId: 1, Height: 24, Width: 80 }).ok,
    ).toBe(true);
  });

  it('ExecuteProcess: Settings (relays) and the ProcessParameters document', () => {
    const params = {
      CommandArgs: ['sh'],
      Environment: { PATH: '/bin' },
      ConsoleSize: [24, 80],
      EmulateConsole: true,
    };
    expect(decodeGuestRequest(ProcessParametersDocument, params)).toEqual({ ok: true, value: params });
    expect(decodeGuestRequest(ProcessParametersDocument, { Environment: { PATH: 1 } })).toEqual({
      ok: false,
      path: 'Environment.PATH',
      goType: 'string',
      element: false,
    });
    expect(decodeGuestRequest(ProcessParametersDocument, { ConsoleSize: [24, -1] })).toMatchObject({
      path: 'ConsoleSize',
      goType: '[2]uint',
    });
    expect(
      decodeGuestRequest(ExecuteProcessSettings, {
        ProcessParameters: JSON.stringify(params),
        VsockStdioRelaySettings: { StdIn: 0x40000001, StdOut: 0x40000002 },
      }).ok,
    ).toBe(true);
    expect(decodeGuestRequest(ExecuteProcessSettings, { ProcessParameters: params })).toMatchObject({
      path: 'ProcessParameters',
      goType: 'string',
    });
    expect(
      decodeGuestRequest(ExecuteProcessRequest, { Settings: { StdioRelaySettings: { StdErr: 2 } } }),
    ).toMatchObject({
      path: 'Settings.StdioRelaySettings.StdErr',
      goType: 'string',
    });
  });

  it('Create: the Linux container config (schema version, bundle path, OCI spec)', () => {
    const config = {
      SchemaVersion: { Major: 2, Minor: 1 },
      OciBundlePath: '/run/gcs/c/x',
      OciSpecification: {},
    };
    expect(decodeGuestRequest(LinuxContainerConfigDocument, config)).toEqual({ ok: true, value: config });
    expect(decodeGuestRequest(LinuxContainerConfigDocument, { SchemaVersion: { Major: '2' } })).toMatchObject(
      {
        path: 'SchemaVersion.Major',
        goType: 'uint32',
      },
    );
    expect(decodeGuestRequest(LinuxContainerConfigDocument, { OciSpecification: [] })).toMatchObject({
      path: 'OciSpecification',
      goType: 'object',
      element: false,
    });
    expect(decodeGuestRequest(CreateRequest, { ContainerConfig: config })).toMatchObject({
      path: 'ContainerConfig',
      goType: 'string',
    });
  });

  it('name the field and its Go type when a value does not fit', () => {
    expect(decodeGuestRequest(WaitForProcessRequest, { ProcessId: -1 })).toEqual({
      ok: false,
      path: 'ProcessId',
      goType: 'uint32',
      element: false,
    });
    expect(decodeGuestRequest(WaitForProcessRequest, { ProcessId: 1, TimeoutInMs: 2 ** 32 })).toMatchObject({
      path: 'TimeoutInMs',
      goType: 'uint32',
    });
    expect(decodeGuestRequest(ResizeConsoleRequest, { Height: 70000 })).toMatchObject({
      path: 'Height',
      goType: 'uint16',
    });
    expect(decodeGuestRequest(SignalProcessRequest, { Options: 'KILL' })).toMatchObject({
      path: 'Options',
      goType: 'object',
      element: false,
    });
    expect(decodeGuestRequest(NegotiateProtocolRequest, { ActivityId: 7 })).toMatchObject({
      path: 'ActivityId',
      goType: 'string',
    });
  });

  it('as Go decodes: absent and null fields are zero values, unknown fields are ignored', () => {
    expect(decodeGuestRequest(WaitForProcessRequest, undefined)).toEqual({ ok: true, value: {} });
    expect(decodeGuestRequest(WaitForProcessRequest, null)).toEqual({ ok: true, value: {} });
    expect(decodeGuestRequest(WaitForProcessRequest, { ProcessId: null, Extra: [1] })).toEqual({
      ok: true,
      value: { Extra: [1] },
    });
    expect(decodeGuestRequest(WaitForProcessRequest, [])).toEqual({
      ok: false,
      path: '',
      goType: 'object',
      element: true,
    });
  });
});

describe('guest modification requests', () => {
  it('the envelope a sender builds: a known ResourceType and RequestType, Settings any JSON', () => {
    expect(Object.keys(GuestResourceType)).toHaveLength(16);
    expect(
      check(GuestModificationRequest, {
        ResourceType: 'MappedVirtualDisk',
        RequestType: 'Add',
        Settings: {},
      }),
    ).toEqual([]);
    expect(
      check(GuestModificationRequest, { ResourceType: 'Disk', RequestType: 'Add' }).map((i) => i.path),
    ).toEqual(['ResourceType']);
    expect(check(GuestModificationRequest, { ResourceType: 'SCSIDevice' })).toEqual([
      { path: 'RequestType', message: 'is required' },
    ]);
  });

  it('LCOW MappedVirtualDisk: Controller and Lun are uint8, Options []string (reported as a whole)', () => {
    const ok = { MountPath: '/m', Controller: 1, Lun: 3, Options: ['ro'], ReadOnly: true, Partition: 2 };
    expect(decodeGuestRequest(LcowMappedVirtualDiskSettings, ok)).toEqual({ ok: true, value: ok });
    expect(decodeGuestRequest(LcowMappedVirtualDiskSettings, { Lun: 'one' })).toMatchObject({
      path: 'Lun',
      goType: 'uint8',
    });
    expect(decodeGuestRequest(LcowMappedVirtualDiskSettings, { Lun: 300 })).toMatchObject({ path: 'Lun' });
    expect(decodeGuestRequest(LcowMappedVirtualDiskSettings, { Options: ['a', 1] })).toEqual({
      ok: false,
      path: 'Options',
      goType: '[]string',
      element: false,
    });
    // the first bad field in the order the guest reads them
    expect(decodeGuestRequest(LcowMappedVirtualDiskSettings, { Filesystem: 1, MountPath: 2 })).toMatchObject({
      path: 'MountPath',
      goType: 'string',
    });
  });

  it('slices of structs are checked element by element (a null element is an empty struct)', () => {
    const net = { ID: 'a', IPConfigs: [{ IPAddress: '10.0.0.2', PrefixLength: 24 }, null] };
    expect(decodeGuestRequest(LcowNetworkAdapterSettings, net)).toEqual({
      ok: true,
      value: { ID: 'a', IPConfigs: [{ IPAddress: '10.0.0.2', PrefixLength: 24 }, {}] },
    });
    expect(decodeGuestRequest(LcowNetworkAdapterSettings, { IPConfigs: [{ PrefixLength: 256 }] })).toEqual({
      ok: false,
      path: 'IPConfigs.0.PrefixLength',
      goType: 'uint8',
      element: false,
    });
    expect(decodeGuestRequest(CombinedLayersSettings, { Layers: [{ Path: '/a' }, 'b'] })).toEqual({
      ok: false,
      path: 'Layers.1',
      goType: 'object',
      element: true,
    });
    expect(decodeGuestRequest(BlockCimsSettings, { BlockCIMs: {} })).toMatchObject({
      path: 'BlockCIMs',
      goType: 'array',
      element: false,
    });
  });

  it('nested structs: VPMem MappingInfo offsets are uint64; SCSIDevice needs nothing', () => {
    expect(
      decodeGuestRequest(VpmemDeviceSettings, { DeviceNumber: 0, MappingInfo: { DeviceOffsetInBytes: -1 } }),
    ).toMatchObject({ path: 'MappingInfo.DeviceOffsetInBytes', goType: 'uint64' });
    expect(decodeGuestRequest(ScsiDeviceSettings, {})).toEqual({ ok: true, value: {} });
  });
});
