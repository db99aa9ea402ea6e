import { describe, expect, it } from 'vitest';
import { NULL_GUID } from '../src/guid.js';
import { checkModifySettingRequest } from '../src/modify.js';
import {
  comPortPath,
  cpuFrequencyPowerCapPath,
  cpuGroupPath,
  flexibleIovPath,
  gpuPath,
  hvSocketServicePath,
  idledProcessorsPath,
  licensingPath,
  mappedPipePath,
  memorySizePath,
  networkAdapterPath,
  parseResourcePath,
  plan9SharesPath,
  processorLimitsPath,
  type ResourceKind,
  resourcePathSpecs,
  scsiAttachmentPath,
  sharedMemoryRegionsPath,
  virtualPciPath,
  vpmemDevicePath,
  vpmemMappingPath,
  vsmbSharesPath,
} from '../src/paths.js';
import { ModifySettingRequest } from '../src/schema/modify.js';
import { check } from '../src/validate.js';

const NIC = '7e3c9a10-52b4-4c1d-9f0e-1a2b3c4d5e6f';
const ENDPOINT = '9f5b1c2d-1111-4222-8333-0123456789ab';
const VMBUS = '1b6f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const SERVICE = 'e0e16197-dd56-4a10-9195-5ee7a155a838';

/** Per kind: a valid request (as hcsshim / the docs send it) and a request with bad Settings plus its issues. */
const perPath: ReadonlyArray<{
  kind: ResourceKind;
  good: Record<string, unknown>;
  bad: Record<string, unknown>;
  issues: Array<{ path: string; message: string }>;
}> = [
  {
    kind: 'MemorySize',
    good: { ResourcePath: memorySizePath(), Settings: 2048 },
    bad: { ResourcePath: memorySizePath(), RequestType: 'Update', Settings: '2048' },
    issues: [{ path: 'Settings', message: 'expected an integer, got "2048"' }],
  },
  {
    kind: 'CpuGroup',
    good: { ResourcePath: cpuGroupPath(), Settings: { Id: NULL_GUID } },
    bad: { ResourcePath: cpuGroupPath(), Settings: { Id: 'group-1' } },
    issues: [
      {
        path: 'Settings.Id',
        message: 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got "group-1"',
      },
    ],
  },
  {
    kind: 'ProcessorLimits',
    good: {
      ResourcePath: processorLimitsPath(),
      Settings: { Limit: 50000, Weight: 200, MaximumFrequencyMHz: 2000 },
    },
    bad: { ResourcePath: processorLimitsPath(), Settings: { Limit: -1 } },
    issues: [{ path: 'Settings.Limit', message: 'must be >= 0, got -1' }],
  },
  {
    kind: 'IdledProcessors',
    good: { ResourcePath: idledProcessorsPath(), RequestType: 'Update', Settings: { IdleProcessorCount: 1 } },
    bad: { ResourcePath: idledProcessorsPath(), RequestType: 'Update', Settings: { IdleProcessors: 1 } },
    issues: [
      { path: 'Settings.IdleProcessorCount', message: 'is required' },
      { path: 'Settings.IdleProcessors', message: 'unknown property "IdleProcessors"' },
    ],
  },
  {
    kind: 'CpuFrequencyPowerCap',
    good: { ResourcePath: cpuFrequencyPowerCapPath(), RequestType: 'Update', Settings: 3000 },
    bad: { ResourcePath: cpuFrequencyPowerCapPath(), Settings: 2 ** 32 },
    issues: [{ path: 'Settings', message: 'must be <= 4294967295, got 4294967296' }],
  },
  {
    kind: 'Gpu',
    good: {
      ResourcePath: gpuPath(),
      RequestType: 'Update',
      Settings: {
        AssignmentMode: 'List',
        AssignmentRequest: { 'PCI\\VEN_10DE': 65535 },
        AllowVendorExtension: true,
      },
    },
    bad: { ResourcePath: gpuPath(), RequestType: 'Update', Settings: { AssignmentMode: 'All' } },
    issues: [
      {
        path: 'Settings.AssignmentMode',
        message: 'must be one of "Disabled", "Default", "List", "Mirror", got "All"',
      },
    ],
  },
  {
    kind: 'ComPort',
    good: { ResourcePath: comPortPath(0), RequestType: 'Add', Settings: { NamedPipe: '\\\\.\\pipe\\com1' } },
    bad: { ResourcePath: comPortPath(1), RequestType: 'Add', Settings: { NamedPipe: 1 } },
    issues: [{ path: 'Settings.NamedPipe', message: 'expected a string, got 1' }],
  },
  {
    kind: 'FlexibleIov',
    good: {
      ResourcePath: flexibleIovPath('dev0'),
      RequestType: 'Add',
      Settings: { EmulatorId: VMBUS, HostingModel: 'External', Configuration: ['a=b'] },
    },
    bad: {
      ResourcePath: flexibleIovPath('dev0'),
      RequestType: 'Add',
      Settings: { EmulatorId: VMBUS, HostingModel: 'Remote' },
    },
    issues: [
      { path: 'Settings.HostingModel', message: 'must be one of "Internal", "External", got "Remote"' },
    ],
  },
  {
    kind: 'MappedPipe',
    good: { ResourcePath: mappedPipePath('\\\\.\\pipe\\docker'), RequestType: 'Add' },
    bad: { ResourcePath: mappedPipePath('\\\\.\\pipe\\docker'), RequestType: 'Add', Settings: {} },
    issues: [{ path: 'Settings', message: 'MappedPipe takes no Settings' }],
  },
  {
    kind: 'NetworkAdapter',
    good: {
      ResourcePath: networkAdapterPath(NIC),
      RequestType: 'Add',
      Settings: { EndpointId: ENDPOINT, MacAddress: '00-15-5D-52-C0-01', IovSettings: { OffloadWeight: 0 } },
    },
    bad: {
      ResourcePath: networkAdapterPath(NIC),
      RequestType: 'Remove',
      Settings: { MacAddress: '00-15-5D-52-C0-01' },
    },
    issues: [{ path: 'Settings.EndpointId', message: 'is required' }],
  },
  {
    kind: 'Plan9Share',
    good: {
      ResourcePath: plan9SharesPath(),
      RequestType: 'Add',
      Settings: { Name: '3', AccessName: '3', Path: 'C:\\data', Port: 564, Flags: 0x4 },
    },
    bad: { ResourcePath: plan9SharesPath(), RequestType: 'Remove', Settings: { AccessName: '3', Port: 564 } },
    issues: [{ path: 'Settings.Name', message: 'is required' }],
  },
  {
    kind: 'ScsiAttachment',
    good: {
      ResourcePath: scsiAttachmentPath(0, 2),
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: 'C:\\x.vhdx', ReadOnly: false },
    },
    bad: {
      ResourcePath: scsiAttachmentPath(0, 2),
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Pth: 'C:\\x.vhdx' },
    },
    issues: [
      { path: 'Settings.Path', message: 'is required' },
      { path: 'Settings.Pth', message: 'unknown property "Pth"' },
    ],
  },
  {
    kind: 'SharedMemoryRegion',
    good: {
      ResourcePath: sharedMemoryRegionsPath(),
      RequestType: 'Add',
      Settings: {
        SectionName: 'sec',
        StartOffset: 0,
        Length: 4096,
        AllowGuestWrite: true,
        HiddenFromGuest: false,
      },
    },
    bad: {
      ResourcePath: sharedMemoryRegionsPath(),
      RequestType: 'Add',
      Settings: { SectionName: 'sec', Length: 1.5 },
    },
    issues: [{ path: 'Settings.Length', message: 'expected an integer, got 1.5' }],
  },
  {
    kind: 'VirtualPci',
    good: {
      ResourcePath: virtualPciPath(VMBUS),
      RequestType: 'Add',
      Settings: { Functions: [{ DeviceInstancePath: 'PCIP\\VEN_1414&DEV_008E\\1', VirtualFunction: 0 }] },
    },
    bad: { ResourcePath: virtualPciPath(VMBUS), RequestType: 'Add', Settings: { Functions: [] } },
    issues: [{ path: 'Settings.Functions', message: 'must have at least 1 item(s)' }],
  },
  {
    kind: 'VPMemDevice',
    good: {
      ResourcePath: vpmemDevicePath(1),
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layer.vhd', ReadOnly: true, ImageFormat: 'Vhd1' },
    },
    bad: {
      ResourcePath: vpmemDevicePath(1),
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layer.vhd', ImageFormat: 'Vhd' },
    },
    issues: [{ path: 'Settings.ImageFormat', message: 'must be one of "Vhdx", "Vhd1", got "Vhd"' }],
  },
  {
    kind: 'VPMemMapping',
    good: {
      ResourcePath: vpmemMappingPath(0, 4096),
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layer.vhd', ImageFormat: 'Vhdx' },
    },
    bad: { ResourcePath: vpmemMappingPath(0, 4096), RequestType: 'Add', Settings: {} },
    issues: [{ path: 'Settings.HostPath', message: 'is required' }],
  },
  {
    kind: 'VsmbShare',
    good: {
      ResourcePath: vsmbSharesPath(),
      RequestType: 'Update',
      Settings: {
        Name: 's1',
        Path: 'C:\\s1',
        AllowedFiles: ['a'],
        Options: { ReadOnly: true, RestrictFileAccess: true },
      },
    },
    bad: {
      ResourcePath: vsmbSharesPath(),
      RequestType: 'Add',
      Settings: { Name: 's1', Options: { ReadOnyl: true } },
    },
    issues: [{ path: 'Settings.Options.ReadOnyl', message: 'unknown property "ReadOnyl"' }],
  },
  {
    kind: 'HvSocketService',
    good: {
      ResourcePath: hvSocketServicePath(SERVICE),
      RequestType: 'Update',
      Settings: { BindSecurityDescriptor: 'D:P(A;;FA;;;SY)', AllowWildcardBinds: true },
    },
    bad: {
      ResourcePath: hvSocketServicePath(SERVICE),
      RequestType: 'Update',
      Settings: { Disabled: 'true' },
    },
    issues: [{ path: 'Settings.Disabled', message: 'expected a boolean, got "true"' }],
  },
  {
    kind: 'Licensing',
    good: { ResourcePath: licensingPath(), RequestType: 'Add', Settings: { Whatever: [1] } },
    bad: { ResourcePath: licensingPath(), RequestType: 'Upsert', Settings: {} },
    issues: [{ path: 'RequestType', message: 'must be one of "Add", "Remove", "Update", got "Upsert"' }],
  },
];

describe('ModifySettingRequest per resource path', () => {
  it('covers every kind', () => {
    expect(perPath.map((p) => p.kind).sort()).toEqual(Object.keys(resourcePathSpecs).sort());
    for (const p of perPath) expect(parseResourcePath(p.good.ResourcePath as string)?.kind).toBe(p.kind);
  });

  it.each(perPath)(
    '$kind: valid request passes, Settings validated with the spec schema',
    ({ kind, good, bad, issues }) => {
      expect(check(ModifySettingRequest, good)).toEqual([]);
      const ok = checkModifySettingRequest(good);
      expect(ok.issues).toEqual([]);
      expect(ok.match?.kind).toBe(kind);
      expect(checkModifySettingRequest(bad).issues).toEqual(issues);
    },
  );
});

describe('checkModifySettingRequest rules', () => {
  it('absent RequestType means Update; allowed only where Update is', () => {
    const mem = checkModifySettingRequest({ ResourcePath: memorySizePath(), Settings: 4096 });
    expect(mem.requestType).toBe('Update');
    expect(mem.issues).toEqual([]);
    expect(
      checkModifySettingRequest({
        ResourcePath: scsiAttachmentPath(1, 0),
        Settings: { Type: 'Iso', Path: 'x' },
      }).issues,
    ).toEqual([{ path: 'RequestType', message: 'ScsiAttachment accepts Add, Remove, got none (Update)' }]);
    expect(
      checkModifySettingRequest({
        ResourcePath: flexibleIovPath('x'),
        RequestType: 'Remove',
      }).issues,
    ).toEqual([{ path: 'RequestType', message: 'FlexibleIov accepts Add, got "Remove"' }]);
    expect(
      checkModifySettingRequest({
        ResourcePath: hvSocketServicePath(SERVICE),
        RequestType: 'Add',
        Settings: {},
      }).issues,
    ).toEqual([{ path: 'RequestType', message: 'HvSocketService accepts Update, Remove, got "Add"' }]);
  });

  it('settings ignored on Remove unless the spec says otherwise', () => {
    for (const ResourcePath of [
      scsiAttachmentPath(0, 1),
      vpmemDevicePath(0),
      virtualPciPath(VMBUS),
      hvSocketServicePath(SERVICE),
    ]) {
      expect(checkModifySettingRequest({ ResourcePath, RequestType: 'Remove' }).issues).toEqual([]);
      expect(
        checkModifySettingRequest({ ResourcePath, RequestType: 'Remove', Settings: { junk: 1 } }).issues,
      ).toEqual([]);
    }
    expect(
      checkModifySettingRequest({ ResourcePath: vsmbSharesPath(), RequestType: 'Remove' }).issues,
    ).toEqual([{ path: 'Settings', message: 'is required' }]);
    expect(
      checkModifySettingRequest({
        ResourcePath: plan9SharesPath(),
        RequestType: 'Remove',
        Settings: { Name: '3', AccessName: '3', Port: 564 },
      }).issues,
    ).toEqual([]);
  });

  it('Settings required on Add/Update; Licensing accepts nothing too', () => {
    expect(
      checkModifySettingRequest({ ResourcePath: scsiAttachmentPath(0, 1), RequestType: 'Add' }).issues,
    ).toEqual([{ path: 'Settings', message: 'is required' }]);
    expect(checkModifySettingRequest({ ResourcePath: licensingPath() }).issues).toEqual([]);
  });

  it('unknown or invalid paths, guest-only requests, envelope errors', () => {
    expect(
      checkModifySettingRequest({
        ResourcePath: 'VirtualMachine/Devices/Scsi/a.b/Attachments/0',
        RequestType: 'Add',
      }),
    ).toEqual({
      issues: [
        {
          path: 'ResourcePath',
          message: 'unknown or invalid resource path "VirtualMachine/Devices/Scsi/a.b/Attachments/0"',
        },
      ],
      match: undefined,
      requestType: 'Add',
    });
    expect(
      checkModifySettingRequest({ GuestRequest: { ResourceType: 'Network', RequestType: 'PreAdd' } }).issues,
    ).toEqual([]);
    expect(checkModifySettingRequest({ RequestType: 'Add' }).issues).toEqual([
      { path: 'ResourcePath', message: 'is required unless GuestRequest is given' },
    ]);
    expect(checkModifySettingRequest({ ResourcePath: memorySizePath(), Settigns: 1 }).issues).toEqual([
      { path: 'Settigns', message: 'unknown property "Settigns"' },
    ]);
    expect(checkModifySettingRequest(null).issues).toEqual([
      { path: '', message: 'expected an object, got null' },
    ]);
  });
});
