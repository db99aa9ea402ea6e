import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { NULL_GUID } from '../src/guid.js';
import { checkModifySettingRequest, modifySettingRequest, REQUEST_RESOURCE } from '../src/modify.js';
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
    good: { ResourcePath: memorySizePath().path, Settings: 2048 },
    bad: { ResourcePath: memorySizePath().path, RequestType: 'Update', Settings: '2048' },
    issues: [{ path: 'Settings', message: 'expected an integer, got "2048"' }],
  },
  {
    kind: 'CpuGroup',
    good: { ResourcePath: cpuGroupPath().path, Settings: { Id: NULL_GUID } },
    bad: { ResourcePath: cpuGroupPath().path, Settings: { Id: 'group-1' } },
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
      ResourcePath: processorLimitsPath().path,
      Settings: { Limit: 50000, Weight: 200, MaximumFrequencyMHz: 2000 },
    },
    bad: { ResourcePath: processorLimitsPath().path, Settings: { Limit: -1 } },
    issues: [{ path: 'Settings.Limit', message: 'must be >= 0, got -1' }],
  },
  {
    kind: 'IdledProcessors',
    good: {
      ResourcePath: idledProcessorsPath().path,
      RequestType: 'Update',
      Settings: { IdleProcessorCount: 1 },
    },
    bad: { ResourcePath: idledProcessorsPath().path, RequestType: 'Update', Settings: { IdleProcessors: 1 } },
    issues: [
      { path: 'Settings.IdleProcessorCount', message: 'is required' },
      { path: 'Settings.IdleProcessors', message: 'unknown property "IdleProcessors"' },
    ],
  },
  {
    kind: 'CpuFrequencyPowerCap',
    good: { ResourcePath: cpuFrequencyPowerCapPath().path, RequestType: 'Update', Settings: 3000 },
    bad: { ResourcePath: cpuFrequencyPowerCapPath().path, Settings: 2 ** 32 },
    issues: [{ path: 'Settings', message: 'must be <= 4294967295, got 4294967296' }],
  },
  {
    kind: 'Gpu',
    good: {
      ResourcePath: gpuPath().path,
      RequestType: 'Update',
      Settings: {
        AssignmentMode: 'List',
        AssignmentRequest: { 'PCI\\VEN_10DE': 65535 },
        AllowVendorExtension: true,
      },
    },
    bad: { ResourcePath: gpuPath().path, RequestType: 'Update', Settings: { AssignmentMode: 'All' } },
    issues: [
      {
        path: 'Settings.AssignmentMode',
        message: 'must be one of "Disabled", "Default", "List", "Mirror", got "All"',
      },
    ],
  },
  {
    kind: 'ComPort',
    good: {
      ResourcePath: comPortPath(0).path,
      RequestType: 'Add',
      Settings: { NamedPipe: '\\\\.\\pipe\\com1' },
    },
    bad: { ResourcePath: comPortPath(1).path, RequestType: 'Add', Settings: { NamedPipe: 1 } },
    issues: [{ path: 'Settings.NamedPipe', message: 'expected a string, got 1' }],
  },
  {
    kind: 'FlexibleIov',
    good: {
      ResourcePath: flexibleIovPath('dev0').path,
      RequestType: 'Add',
      Settings: { EmulatorId: VMBUS, HostingModel: 'External', Configuration: ['a=b'] },
    },
    bad: {
      ResourcePath: flexibleIovPath('dev0').path,
      RequestType: 'Add',
      Settings: { EmulatorId: VMBUS, HostingModel: 'Remote' },
    },
    issues: [
      { path: 'Settings.HostingModel', message: 'must be one of "Internal", "External", got "Remote"' },
    ],
  },
  {
    kind: 'MappedPipe',
    good: { ResourcePath: mappedPipePath('\\\\.\\pipe\\docker').path, RequestType: 'Add' },
    bad: { ResourcePath: mappedPipePath('\\\\.\\pipe\\docker').path, RequestType: 'Add', Settings: {} },
    issues: [{ path: 'Settings', message: 'MappedPipe takes no Settings' }],
  },
  {
    kind: 'NetworkAdapter',
    good: {
      ResourcePath: networkAdapterPath(NIC).path,
      RequestType: 'Add',
      Settings: { EndpointId: ENDPOINT, MacAddress: '00-15-5D-52-C0-01', IovSettings: { OffloadWeight: 0 } },
    },
    bad: {
      ResourcePath: networkAdapterPath(NIC).path,
      RequestType: 'Remove',
      Settings: { MacAddress: '00-15-5D-52-C0-01' },
    },
    issues: [{ path: 'Settings.EndpointId', message: 'is required' }],
  },
  {
    kind: 'Plan9Share',
    good: {
      ResourcePath: plan9SharesPath().path,
      RequestType: 'Add',
      Settings: { Name: '3', AccessName: '3', Path: 'C:\\data', Port: 564, Flags: 0x4 },
    },
    bad: {
      ResourcePath: plan9SharesPath().path,
      RequestType: 'Remove',
      Settings: { AccessName: '3', Port: 564 },
    },
    issues: [{ path: 'Settings.Name', message: 'is required' }],
  },
  {
    kind: 'ScsiAttachment',
    good: {
      ResourcePath: scsiAttachmentPath(0, 2).path,
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: 'C:\\x.vhdx', ReadOnly: false },
    },
    bad: {
      ResourcePath: scsiAttachmentPath(0, 2).path,
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
      ResourcePath: sharedMemoryRegionsPath().path,
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
      ResourcePath: sharedMemoryRegionsPath().path,
      RequestType: 'Add',
      Settings: { SectionName: 'sec', Length: 1.5 },
    },
    issues: [{ path: 'Settings.Length', message: 'expected an integer, got 1.5' }],
  },
  {
    kind: 'VirtualPci',
    good: {
      ResourcePath: virtualPciPath(VMBUS).path,
      RequestType: 'Add',
      Settings: { Functions: [{ DeviceInstancePath: 'PCIP\\VEN_1414&DEV_008E\\1', VirtualFunction: 0 }] },
    },
    bad: { ResourcePath: virtualPciPath(VMBUS).path, RequestType: 'Add', Settings: { Functions: [] } },
    issues: [{ path: 'Settings.Functions', message: 'must have at least 1 item(s)' }],
  },
  {
    kind: 'VPMemDevice',
    good: {
      ResourcePath: vpmemDevicePath(1).path,
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layer.vhd', ReadOnly: true, ImageFormat: 'Vhd1' },
    },
    bad: {
      ResourcePath: vpmemDevicePath(1).path,
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layer.vhd', ImageFormat: 'Vhd' },
    },
    issues: [{ path: 'Settings.ImageFormat', message: 'must be one of "Vhdx", "Vhd1", got "Vhd"' }],
  },
  {
    kind: 'VPMemMapping',
    good: {
      ResourcePath: vpmemMappingPath(0, 4096).path,
      RequestType: 'Add',
      Settings: { HostPath: 'C:\\layer.vhd', ImageFormat: 'Vhdx' },
    },
    bad: { ResourcePath: vpmemMappingPath(0, 4096).path, RequestType: 'Add', Settings: {} },
    issues: [{ path: 'Settings.HostPath', message: 'is required' }],
  },
  {
    kind: 'VsmbShare',
    good: {
      ResourcePath: vsmbSharesPath().path,
      RequestType: 'Update',
      Settings: {
        Name: 's1',
        Path: 'C:\\s1',
        AllowedFiles: ['a'],
        Options: { ReadOnly: true, RestrictFileAccess: true },
      },
    },
    bad: {
      ResourcePath: vsmbSharesPath().path,
      RequestType: 'Add',
      Settings: { Name: 's1', Options: { ReadOnyl: true } },
    },
    issues: [{ path: 'Settings.Options.ReadOnyl', message: 'unknown property "ReadOnyl"' }],
  },
  {
    kind: 'HvSocketService',
    good: {
      ResourcePath: hvSocketServicePath(SERVICE).path,
      RequestType: 'Update',
      Settings: { BindSecurityDescriptor: 'D:P(A;;FA;;;SY)', AllowWildcardBinds: true },
    },
    bad: {
      ResourcePath: hvSocketServicePath(SERVICE).path,
      RequestType: 'Update',
      Settings: { Disabled: 'true' },
    },
    issues: [{ path: 'Settings.Disabled', message: 'expected a boolean, got "true"' }],
  },
  {
    kind: 'Licensing',
    good: { ResourcePath: licensingPath().path, RequestType: 'Add', Settings: { Whatever: [1] } },
    bad: { ResourcePath: licensingPath().path, RequestType: 'Upsert', Settings: {} },
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
    const mem = checkModifySettingRequest({ ResourcePath: memorySizePath().path, Settings: 4096 });
    expect(mem.requestType).toBe('Update');
    expect(mem.issues).toEqual([]);
    expect(
      checkModifySettingRequest({
        ResourcePath: scsiAttachmentPath(1, 0).path,
        Settings: { Type: 'Iso', Path: 'x' },
      }).issues,
    ).toEqual([{ path: 'RequestType', message: 'ScsiAttachment accepts Add, Remove, got none (Update)' }]);
    expect(
      checkModifySettingRequest({
        ResourcePath: flexibleIovPath('x').path,
        RequestType: 'Remove',
      }).issues,
    ).toEqual([{ path: 'RequestType', message: 'FlexibleIov accepts Add, got "Remove"' }]);
    expect(
      checkModifySettingRequest({
        ResourcePath: hvSocketServicePath(SERVICE).path,
        RequestType: 'Add',
        Settings: {},
      }).issues,
    ).toEqual([{ path: 'RequestType', message: 'HvSocketService accepts Update, Remove, got "Add"' }]);
  });

  it('settings ignored on Remove unless the spec says otherwise', () => {
    for (const ResourcePath of [
      scsiAttachmentPath(0, 1).path,
      vpmemDevicePath(0).path,
      virtualPciPath(VMBUS).path,
      hvSocketServicePath(SERVICE).path,
    ]) {
      expect(checkModifySettingRequest({ ResourcePath, RequestType: 'Remove' }).issues).toEqual([]);
      expect(
        checkModifySettingRequest({ ResourcePath, RequestType: 'Remove', Settings: { junk: 1 } }).issues,
      ).toEqual([]);
    }
    expect(
      checkModifySettingRequest({ ResourcePath: vsmbSharesPath().path, RequestType: 'Remove' }).issues,
    ).toEqual([{ path: 'Settings', message: 'is required' }]);
    expect(
      checkModifySettingRequest({
        ResourcePath: plan9SharesPath().path,
        RequestType: 'Remove',
        Settings: { Name: '3', AccessName: '3', Port: 564 },
      }).issues,
    ).toEqual([]);
  });

  it('Settings required on Add/Update; Licensing accepts nothing too', () => {
    expect(
      checkModifySettingRequest({ ResourcePath: scsiAttachmentPath(0, 1).path, RequestType: 'Add' }).issues,
    ).toEqual([{ path: 'Settings', message: 'is required' }]);
    expect(checkModifySettingRequest({ ResourcePath: licensingPath().path }).issues).toEqual([]);
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
    expect(checkModifySettingRequest({ ResourcePath: memorySizePath().path, Settigns: 1 }).issues).toEqual([
      { path: 'Settigns', message: 'unknown property "Settigns"' },
    ]);
    expect(checkModifySettingRequest(null).issues).toEqual([
      { path: '', message: 'expected an object, got null' },
    ]);
  });
});

describe('typed requests (modifySettingRequest)', () => {
  const attachment = { Type: 'VirtualDisk', Path: 'C:\\d.vhdx' } as const;

  it('is the plain wire document, frozen, carrying its descriptor on a non-enumerable symbol', () => {
    const resource = scsiAttachmentPath(0, 2);
    const request = modifySettingRequest(resource, { RequestType: 'Add', Settings: attachment });
    expect(JSON.parse(JSON.stringify(request))).toEqual({
      ResourcePath: resource.path,
      RequestType: 'Add',
      Settings: attachment,
    });
    expect(Object.keys(request)).toEqual(['ResourcePath', 'RequestType', 'Settings']);
    expect(request.Settings).toBe(attachment);
    expect(request[REQUEST_RESOURCE]).toBe(resource);
    expect(Object.getOwnPropertyDescriptor(request, REQUEST_RESOURCE)?.enumerable).toBe(false);
    expect(Object.isFrozen(request)).toBe(true);
    expect(check(ModifySettingRequest, request)).toEqual([]);
  });

  it('leaves out an absent RequestType (Update) and absent Settings, as hcsshim sends them', () => {
    expect(Object.keys(modifySettingRequest(memorySizePath(), { Settings: 4096 }))).toEqual([
      'ResourcePath',
      'Settings',
    ]);
    expect(
      Object.keys(modifySettingRequest(mappedPipePath('\\\\.\\pipe\\p'), { RequestType: 'Remove' })),
    ).toEqual(['ResourcePath', 'RequestType']);
  });

  it('is checked against the descriptor it carries: no parse-back (the match is the descriptor)', () => {
    const resource = scsiAttachmentPath(1, 7);
    const good = checkModifySettingRequest(
      modifySettingRequest(resource, { RequestType: 'Add', Settings: attachment }),
    );
    expect(good).toEqual({ issues: [], match: resource, requestType: 'Add' });
    expect(good.match).toBe(resource);
    const untyped = checkModifySettingRequest({
      ResourcePath: resource.path,
      RequestType: 'Add',
      Settings: attachment,
    });
    expect(untyped.match).not.toBe(resource);
    expect(untyped.match).toEqual({ kind: resource.kind, params: resource.params, spec: resource.spec });
  });

  it('finds the same issues as the untyped document: Settings, RequestType', () => {
    const resource = scsiAttachmentPath(0, 3);
    const badSettings = { Type: 'Floppy', Path: 'x' } as never;
    const typed = checkModifySettingRequest(
      modifySettingRequest(resource, { RequestType: 'Add', Settings: badSettings }),
    );
    expect(typed.issues).toEqual(
      checkModifySettingRequest({ ResourcePath: resource.path, RequestType: 'Add', Settings: badSettings })
        .issues,
    );
    expect(typed.issues.map((i) => i.path)).toEqual(['Settings.Type']);
    expect(
      checkModifySettingRequest(
        modifySettingRequest(resource, { RequestType: 'Update' as never, Settings: attachment }),
      ).issues,
    ).toEqual([{ path: 'RequestType', message: 'ScsiAttachment accepts Add, Remove, got "Update"' }]);
    expect(
      checkModifySettingRequest(modifySettingRequest(resource, { RequestType: 'Add' } as never)).issues,
    ).toEqual([{ path: 'Settings', message: 'is required' }]);
  });

  it('a look-alike or mismatched descriptor is not trusted: the path is parsed', () => {
    const scsi = scsiAttachmentPath(0, 1);
    const forged = { ...licensingPath(), path: scsi.path };
    const request = modifySettingRequest(
      forged as never,
      { RequestType: 'Add', Settings: { any: 1 } } as never,
    );
    const result = checkModifySettingRequest(request);
    expect(result.match?.kind).toBe('ScsiAttachment');
    expect(result.issues.map((i) => i.path)).toEqual(['Settings.Type', 'Settings.Path', 'Settings.any']);
    // a genuine descriptor whose path is not the request's: the request's ResourcePath rules
    const moved = { ...modifySettingRequest(scsi, { RequestType: 'Add', Settings: attachment }) };
    Object.defineProperty(moved, REQUEST_RESOURCE, { value: memorySizePath() });
    expect(checkModifySettingRequest(moved).match).toEqual(parseResourcePath(scsi.path));
  });

  it('refuses a non-descriptor or a non-object body with InvalidArgumentError', () => {
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        if (err instanceof InvalidArgumentError) return { argument: err.argument, issues: err.issues };
        throw err;
      }
      throw new Error('did not throw');
    };
    expect(
      refusal(() => modifySettingRequest(scsiAttachmentPath(0, 1).path as never, { RequestType: 'Remove' })),
    ).toEqual({
      argument: 'resource',
      issues: [{ path: 'resource', message: "must be a resource path descriptor (a path builder's result)" }],
    });
    expect(refusal(() => modifySettingRequest(scsiAttachmentPath(0, 1), null as never))).toEqual({
      argument: 'request',
      issues: [{ path: 'request', message: 'must be an object { RequestType?, Settings? }' }],
    });
  });
});
