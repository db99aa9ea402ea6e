import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SchemaValidationError } from '../src/errors.js';
import { ScsiControllerGuids } from '../src/guid.js';
import { ComputeSystem, systemKind } from '../src/schema/compute-system.js';
import { Attachment, Devices, NetworkAdapter, Plan9Share, Scsi } from '../src/schema/devices.js';
import { ModifySettingRequest } from '../src/schema/modify.js';
import { CrashOptions, PauseOptions, SaveOptions, ShutdownOptions } from '../src/schema/options.js';
import { Properties, PropertyQuery, SystemQuery } from '../src/schema/properties.js';
import { CrashReport, ProcessStatus, ResultError, SystemExitStatus } from '../src/schema/result.js';
import { CpuGroup, MemorySizeInMB, Topology } from '../src/schema/topology.js';
import { Chipset, Uefi, VirtualMachine } from '../src/schema/virtual-machine.js';
import { assertValid, check, pointerToDotted } from '../src/validate.js';
import { GCS_SERVICE_ID, lcowDocument } from './fixtures.js';

type Doc = ReturnType<typeof lcowDocument>;
const SCSI0 = `VirtualMachine.Devices.Scsi.${ScsiControllerGuids[0]}`;

function mutated(edit: (doc: Doc & Record<string, unknown>) => void): unknown {
  const doc = lcowDocument() as Doc & Record<string, unknown>;
  edit(doc);
  return doc;
}

function vmDevices(doc: Doc) {
  return doc.VirtualMachine.Devices as Record<string, unknown> & Doc['VirtualMachine']['Devices'];
}

describe('LCOW utility VM document', () => {
  it('validates', () => {
    expect(check(ComputeSystem, lcowDocument())).toEqual([]);
    expect(() => assertValid(ComputeSystem, lcowDocument(), 'LCOW document')).not.toThrow();
    expect(systemKind(lcowDocument())).toBe('VirtualMachine');
  });

  it('validates the docs’ smallest VM (empty Uefi, Backing Physical)', () => {
    const doc = {
      SchemaVersion: { Major: 2, Minor: 1 },
      Owner: 'Sample',
      VirtualMachine: {
        Chipset: { Uefi: {} },
        ComputeTopology: { Memory: { Backing: 'Physical', SizeInMB: 1024 }, Processor: { Count: 2 } },
      },
      ShouldTerminateOnLastHandleClosed: true,
    };
    expect(check(ComputeSystem, doc)).toEqual([]);
  });

  it('reports a wrong enum in a nested attachment with its dotted path', () => {
    const doc = mutated((d) => {
      (d.VirtualMachine.Devices.Scsi[ScsiControllerGuids[0]].Attachments as Record<string, unknown>)['1'] = {
        Type: 'Vhd',
        Path: 'C:\\x.vhd',
      };
    });
    expect(check(ComputeSystem, doc)).toEqual([
      {
        path: `${SCSI0}.Attachments.1.Type`,
        message: 'must be one of "VirtualDisk", "Iso", "PassThru", "ExtensibleVirtualDisk", got "Vhd"',
      },
    ]);
  });

  it('reports a wrong type', () => {
    const doc = mutated((d) => {
      (d.VirtualMachine.ComputeTopology.Processor as Record<string, unknown>).Count = '2';
    });
    expect(check(ComputeSystem, doc)).toEqual([
      { path: 'VirtualMachine.ComputeTopology.Processor.Count', message: 'expected an integer, got "2"' },
    ]);
    const doc2 = mutated((d) => {
      (d.VirtualMachine.GuestConnection as Record<string, unknown>).UseVsock = 1;
    });
    expect(check(ComputeSystem, doc2)).toEqual([
      { path: 'VirtualMachine.GuestConnection.UseVsock', message: 'expected a boolean, got 1' },
    ]);
  });

  it('reports a missing required key once', () => {
    const doc = mutated((d) => {
      delete (d.VirtualMachine.Chipset.LinuxKernelDirect as Record<string, unknown>).KernelFilePath;
    });
    expect(check(ComputeSystem, doc)).toEqual([
      { path: 'VirtualMachine.Chipset.LinuxKernelDirect.KernelFilePath', message: 'is required' },
    ]);
    const doc2 = mutated((d) => {
      delete (d as Record<string, unknown>).SchemaVersion;
    });
    expect(check(ComputeSystem, doc2)).toEqual([{ path: 'SchemaVersion', message: 'is required' }]);
  });

  it('reports an unknown key (typo) on a device', () => {
    const doc = mutated((d) => {
      (d.VirtualMachine.Devices.Scsi[ScsiControllerGuids[0]].Attachments as Record<string, unknown>)['0'] = {
        Type: 'VirtualDisk',
        Path: 'C:\\a.vhdx',
        Pth: 'C:\\b.vhdx',
      };
    });
    expect(check(ComputeSystem, doc)).toEqual([
      { path: `${SCSI0}.Attachments.0.Pth`, message: 'unknown property "Pth"' },
    ]);
    const doc2 = mutated((d) => {
      vmDevices(d).Floppy = {};
    });
    expect(check(ComputeSystem, doc2)).toEqual([
      { path: 'VirtualMachine.Devices.Floppy', message: 'unknown property "Floppy"' },
    ]);
  });

  it('reports a negative or zero SizeInMB and a fractional one', () => {
    const neg = mutated((d) => {
      d.VirtualMachine.ComputeTopology.Memory.SizeInMB = -512;
    });
    expect(check(ComputeSystem, neg)).toEqual([
      { path: 'VirtualMachine.ComputeTopology.Memory.SizeInMB', message: 'must be >= 1, got -512' },
    ]);
    const zero = mutated((d) => {
      d.VirtualMachine.ComputeTopology.Memory.SizeInMB = 0;
    });
    expect(check(ComputeSystem, zero)).toEqual([
      { path: 'VirtualMachine.ComputeTopology.Memory.SizeInMB', message: 'must be >= 1, got 0' },
    ]);
    const frac = mutated((d) => {
      d.VirtualMachine.ComputeTopology.Memory.SizeInMB = 1.5;
    });
    expect(check(ComputeSystem, frac)).toEqual([
      { path: 'VirtualMachine.ComputeTopology.Memory.SizeInMB', message: 'expected an integer, got 1.5' },
    ]);
  });

  it('rejects map keys outside their range (LUN 64, VPMem 128, ComPort 2, non-GUID service)', () => {
    const doc = mutated((d) => {
      (d.VirtualMachine.Devices.Scsi[ScsiControllerGuids[1]].Attachments as Record<string, unknown>)['64'] = {
        Type: 'Iso',
        Path: 'C:\\a.iso',
      };
      (d.VirtualMachine.Devices.VirtualPMem.Devices as Record<string, unknown>)['128'] = {
        HostPath: 'C:\\a.vhd',
      };
      (d.VirtualMachine.Devices.ComPorts as Record<string, unknown>)['2'] = {};
      (d.VirtualMachine.Devices.HvSocket.HvSocketConfig.ServiceTable as Record<string, unknown>).gcs = {};
    });
    expect(check(ComputeSystem, doc)).toEqual([
      {
        path: 'VirtualMachine.Devices.ComPorts.2',
        message: 'key "2" is not allowed here (keys must match ^[01]$)',
      },
      {
        path: `VirtualMachine.Devices.Scsi.${ScsiControllerGuids[1]}.Attachments.64`,
        message: 'key "64" is not allowed here (keys must match ^([0-9]|[1-5][0-9]|6[0-3])$)',
      },
      {
        path: 'VirtualMachine.Devices.VirtualPMem.Devices.128',
        message: 'key "128" is not allowed here (keys must match ^([0-9]|[1-9][0-9]|1[01][0-9]|12[0-7])$)',
      },
      {
        path: 'VirtualMachine.Devices.HvSocket.HvSocketConfig.ServiceTable.gcs',
        message:
          'key "gcs" is not allowed here (keys must match ^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$)',
      },
    ]);
  });

  it('reports bad GUIDs and MAC addresses', () => {
    const doc = mutated((d) => {
      const nics = d.VirtualMachine.Devices.NetworkAdapters as Record<string, Record<string, unknown>>;
      const nic = Object.values(nics)[0]!;
      nic.EndpointId = '{9f5b1c2d-1111-4222-8333-0123456789ab}';
      nic.MacAddress = '00:15-5D-52-C0-01';
    });
    const nicPath = 'VirtualMachine.Devices.NetworkAdapters.a5b1c2d3-0000-4000-8000-0123456789ab';
    expect(check(ComputeSystem, doc)).toEqual([
      {
        path: `${nicPath}.EndpointId`,
        message:
          'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got "{9f5b1c2d-1111-4222-8333-0123456789ab}"',
      },
      {
        path: `${nicPath}.MacAddress`,
        message:
          'must match ^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}$, got "00:15-5D-52-C0-01"',
      },
    ]);
  });

  it('reports several issues, one per path, in schema key order', () => {
    const doc = mutated((d) => {
      d.SchemaVersion.Minor = -1;
      (d.VirtualMachine.Devices.Plan9.Shares[0] as Record<string, unknown>).Port = 'x';
      (
        d.VirtualMachine.Devices.HvSocket.HvSocketConfig.ServiceTable[GCS_SERVICE_ID] as Record<
          string,
          unknown
        >
      ).Disabled = 'yes';
    });
    expect(check(ComputeSystem, doc)).toEqual([
      { path: 'SchemaVersion.Minor', message: 'must be >= 0, got -1' },
      {
        path: `VirtualMachine.Devices.HvSocket.HvSocketConfig.ServiceTable.${GCS_SERVICE_ID}.Disabled`,
        message: 'expected a boolean, got "yes"',
      },
      { path: 'VirtualMachine.Devices.Plan9.Shares.0.Port', message: 'expected an integer, got "x"' },
    ]);
  });
});

describe('ComputeSystem one-of rule', () => {
  const base = { SchemaVersion: { Major: 2, Minor: 1 } };

  it('requires exactly one of VirtualMachine / Container / HostedSystem', () => {
    expect(check(ComputeSystem, base)).toEqual([
      {
        path: '',
        message: 'exactly one of VirtualMachine, Container, HostedSystem is required (found none)',
      },
    ]);
    const both = { ...base, Container: {}, HostedSystem: { SchemaVersion: { Major: 2, Minor: 1 } } };
    expect(check(ComputeSystem, both)).toEqual([
      {
        path: '',
        message:
          'exactly one of VirtualMachine, Container, HostedSystem is allowed (found Container and HostedSystem)',
      },
    ]);
    expect(systemKind(base)).toBeUndefined();
    expect(systemKind(both)).toBeUndefined();
    expect(systemKind(null)).toBeUndefined();
    expect(systemKind([])).toBeUndefined();
  });

  it('keeps Container and HostedSystem permissive', () => {
    const container = { ...base, Container: { Storage: { Layers: [] }, AnythingGoes: 1 } };
    expect(check(ComputeSystem, container)).toEqual([]);
    expect(systemKind(container)).toBe('Container');
    const hosted = { ...base, HostingSystemId: 'uvm-1', HostedSystem: { SchemaVersion: {}, Container: {} } };
    expect(check(ComputeSystem, hosted)).toEqual([]);
    expect(systemKind(hosted)).toBe('HostedSystem');
  });

  it('adds the one-of issue after structural issues', () => {
    expect(check(ComputeSystem, { SchemaVersion: { Major: 2 } })).toEqual([
      { path: 'SchemaVersion.Minor', message: 'is required' },
      {
        path: '',
        message: 'exactly one of VirtualMachine, Container, HostedSystem is required (found none)',
      },
    ]);
  });
});

describe('check on individual schemas', () => {
  it('reports the root as ""', () => {
    expect(check(Attachment, 'disk')).toEqual([{ path: '', message: 'expected an object, got "disk"' }]);
    expect(check(MemorySizeInMB, -1)).toEqual([{ path: '', message: 'must be >= 1, got -1' }]);
    expect(check(MemorySizeInMB, Number.NaN)).toEqual([
      { path: '', message: 'expected an integer, got NaN' },
    ]);
    expect(check(MemorySizeInMB, 2048)).toEqual([]);
  });

  it('validates device documents', () => {
    expect(check(Attachment, { Type: 'PassThru', Path: '\\\\.\\PhysicalDrive2' })).toEqual([]);
    expect(check(Attachment, { Type: 'VirtualDisk', Path: '' })).toEqual([
      { path: 'Path', message: 'must not be empty' },
    ]);
    expect(check(Scsi, { Attachments: { '0': { Path: 'a' } } })).toEqual([
      { path: 'Attachments.0.Type', message: 'is required' },
    ]);
    expect(
      check(NetworkAdapter, {
        EndpointId: '9F5B1C2D-1111-4222-8333-0123456789AB',
        MacAddress: '00:15:5d:00:00:01',
      }),
    ).toEqual([]);
    expect(check(Plan9Share, { Name: 'p', Flags: 0x104 })).toEqual([]);
    expect(check(Devices, { Keyboard: {}, Mouse: { X: 1 } })).toEqual([
      { path: 'Mouse.X', message: 'unknown property "X"' },
    ]);
    expect(
      check(Devices, {
        VideoMonitor: {
          HorizontalResolution: 1024,
          VerticalResolution: 768,
          ConnectionOptions: { NamedPipe: 'x' },
        },
        EnhancedModeVideo: {},
        GuestCrashReporting: { WindowsCrashSettings: { DumpFileName: 'C:\\d.dmp', MaxDumpSize: 1 } },
        Battery: {},
        VirtioSerial: { Ports: { '0': { Name: 'p0', NamedPipe: '\\\\.\\pipe\\p0' } } },
      }),
    ).toEqual([]);
    expect(check(Devices, { VideoMonitor: { HorizontalResolution: 70000 } })).toEqual([
      { path: 'VideoMonitor.HorizontalResolution', message: 'must be <= 65535, got 70000' },
    ]);
    expect(check(CpuGroup, { Id: '00000000-0000-0000-0000-000000000000' })).toEqual([]);
    expect(check(Topology, { Memory: { SizeInMB: 512, Backing: 'Swap' } })).toEqual([
      { path: 'Memory.Backing', message: 'must be one of "Physical", "Virtual", "Hybrid", got "Swap"' },
    ]);
    expect(
      check(Uefi, { ApplySecureBootTemplate: 'Apply', BootThis: { DeviceType: 'ScsiDrive', DiskNumber: 0 } }),
    ).toEqual([]);
    expect(check(Chipset, { Uefi: { Console: 'ComPort3' } })).toEqual([
      {
        path: 'Uefi.Console',
        message: 'must be one of "Default", "Disabled", "ComPort1", "ComPort2", got "ComPort3"',
      },
    ]);
    expect(check(VirtualMachine, {})).toEqual([{ path: 'ComputeTopology', message: 'is required' }]);
  });

  it('escapes JSON pointer segments into dotted paths', () => {
    expect(pointerToDotted('')).toBe('');
    expect(pointerToDotted('/a/b~1c/d~0e/0')).toBe('a.b/c.d~e.0');
    expect(check(Devices, { NetworkAdapters: { 'a/b': { EndpointId: 'x' } } })).toEqual([
      {
        path: 'NetworkAdapters.a/b.EndpointId',
        message: 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got "x"',
      },
    ]);
  });
});

describe('request documents', () => {
  it('ModifySettingRequest envelope is strict, Settings and GuestRequest are not', () => {
    expect(
      check(ModifySettingRequest, {
        ResourcePath: 'VirtualMachine/Devices/Plan9/Shares',
        RequestType: 'Add',
        Settings: { anything: [1, 2] },
        GuestRequest: { ResourceType: 'MappedDirectory', RequestType: 'Add', Settings: {} },
      }),
    ).toEqual([]);
    expect(check(ModifySettingRequest, { ResourcePath: 'x', RequestType: 'PreAdd', Setting: {} })).toEqual([
      { path: 'Setting', message: 'unknown property "Setting"' },
      { path: 'RequestType', message: 'must be one of "Add", "Remove", "Update", got "PreAdd"' },
    ]);
  });

  it('queries and options', () => {
    expect(check(PropertyQuery, { PropertyTypes: ['Memory', 'GuestConnection'] })).toEqual([]);
    expect(check(PropertyQuery, { Queries: { CompatibilityInfo: null } })).toEqual([]);
    expect(check(PropertyQuery, { PropertyTypes: ['Memroy'] })).toEqual([
      {
        path: 'PropertyTypes.0',
        message:
          'must be one of "Memory", "Statistics", "ProcessList", "TerminateOnLastHandleClosed", "SharedMemoryRegion", "GuestConnection", "GuestMemory", "ContainerCredentialGuard", "ICHeartbeatStatus", "ProcessorTopology", "CpuGroup", "SystemGUID", got "Memroy"',
      },
    ]);
    expect(check(SystemQuery, { Ids: ['a'], Types: ['VirtualMachine'], Owners: ['me'] })).toEqual([]);
    expect(check(SystemQuery, { Types: ['Vm'] })).toEqual([
      { path: 'Types.0', message: 'must be one of "Container", "VirtualMachine", got "Vm"' },
    ]);
    expect(check(SaveOptions, { SaveType: 'AsTemplate' })).toEqual([]);
    expect(check(SaveOptions, { SaveType: 'ToDisk' })).toEqual([
      { path: 'SaveType', message: 'must be one of "ToFile", "AsTemplate", got "ToDisk"' },
    ]);
    expect(
      check(PauseOptions, { SuspensionLevel: 'Suspend', HostedNotification: { Reason: 'Save' } }),
    ).toEqual([]);
    expect(check(CrashOptions, { Type: 'CrashGuest' })).toEqual([]);
    expect(check(CrashOptions, {})).toEqual([{ path: 'Type', message: 'is required' }]);
    expect(
      check(ShutdownOptions, {
        Mechanism: 'GuestConnection',
        Type: 'Shutdown',
        TimeoutSeconds: 30,
        Extra: 1,
      }),
    ).toEqual([]);
    expect(check(ShutdownOptions, { Type: 'PowerOff', Force: true })).toEqual([
      { path: 'Type', message: 'must be one of "Shutdown", "Hibernate", "Reboot", got "PowerOff"' },
    ]);
    expect(check(PauseOptions, { HostedNotification: { Reason: 'Backup' } })).toEqual([
      {
        path: 'HostedNotification.Reason',
        message: 'must be one of "None", "Save", "Template", got "Backup"',
      },
    ]);
    expect(check(ShutdownOptions, { TimeoutSeconds: -1 })).toEqual([
      { path: 'TimeoutSeconds', message: 'must be >= 0, got -1' },
    ]);
  });
});

describe('documents HCS returns', () => {
  it('ResultError with events and attribution; unknown keys tolerated', () => {
    const doc = {
      Error: -2143878907,
      ErrorMessage: 'The requested virtual machine or container operation is not valid in the current state.',
      ErrorEvents: [
        {
          Message: 'boom',
          Provider: '17103e3f-3c6e-4677-bb17-3b267eb5be57',
          EventId: 12,
          Flags: 0,
          Source: 'vmcompute',
          Data: [{ Type: 'UInt32', Value: '5' }],
        },
      ],
      Attribution: [{ SystemExit: { Detail: 'Terminate', Initiator: 'Client' } }],
      FutureKey: true,
    };
    expect(check(ResultError, doc)).toEqual([]);
    expect(check(ResultError, { Error: 0x80370105 })).toEqual([]);
    expect(check(ResultError, { ErrorMessage: 'x' })).toEqual([{ path: 'Error', message: 'is required' }]);
    expect(check(ResultError, { Error: 1, ErrorEvents: [{ Data: [{ Type: 'Float' }] }] })).toEqual([
      {
        path: 'ErrorEvents.0.Data.0.Type',
        message:
          'must be one of "Empty", "String", "AnsiString", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Single", "Double", "Boolean", "Binary", "Guid", got "Float"',
      },
    ]);
  });

  it('SystemExitStatus, ProcessStatus, CrashReport', () => {
    expect(check(SystemExitStatus, { Status: 0, ExitType: 'GracefulExit' })).toEqual([]);
    expect(check(SystemExitStatus, { Status: 0, ExitType: 'Crashed' })).toEqual([
      {
        path: 'ExitType',
        message:
          'must be one of "None", "GracefulExit", "ForcedExit", "UnexpectedExit", "Unknown", got "Crashed"',
      },
    ]);
    expect(
      check(SystemExitStatus, {
        Status: -1070136570,
        ExitType: 'UnexpectedExit',
        Attribution: [
          {
            WorkerExit: { ExitCode: 1, Type: 'UnexpectedStop', Detail: 'TripleFault', Initiator: 'Internal' },
          },
          { TripleFault: { ErrorType: 3 } },
          { OperationFailure: { Detail: 'Start' } },
          {
            VirtualDeviceFailure: {
              Detail: 'PowerOnCold',
              Name: 'Synthetic SCSI',
              DeviceId: ScsiControllerGuids[0],
            },
          },
        ],
      }),
    ).toEqual([]);
    expect(
      check(SystemExitStatus, { Status: 0, Attribution: [{ WorkerExit: { Detail: 'Exploded' } }] }),
    ).toHaveLength(1);
    expect(
      check(SystemExitStatus, { Status: 0, Attribution: [{ WorkerExit: { Detail: 'Exploded' } }] })[0]?.path,
    ).toBe('Attribution.0.WorkerExit.Detail');
    expect(check(ProcessStatus, { ProcessId: 42, Exited: true, ExitCode: 0, LastWaitResult: 0 })).toEqual([]);
    expect(check(ProcessStatus, { ProcessId: -1 })).toEqual([
      { path: 'ProcessId', message: 'must be >= 0, got -1' },
    ]);
    expect(
      check(CrashReport, { SystemId: 'uvm', CrashParameters: [1, 2, 3, 4, 5], CrashStackUnavailable: false }),
    ).toEqual([]);
  });

  it('Properties with memory, statistics and guest connection info', () => {
    const doc = {
      Id: 'uvm-1',
      SystemType: 'VirtualMachine',
      RuntimeOsType: 'Linux',
      Owner: 'uvmkit',
      RuntimeId: '6a2d8e51-0f0e-4e5f-9a1b-31a5b4d8c6f7',
      State: 'Running',
      Stopped: false,
      Memory: {
        VirtualNodeCount: 1,
        VirtualMachineMemory: { AvailableMemory: 800, AssignedMemory: 262144, BalancingEnabled: false },
        VirtualNodes: [
          { VirtualNodeIndex: 0, PhysicalNodeNumber: 0, VirtualProcessorCount: 2, MemoryUsageInPages: 1 },
        ],
      },
      Statistics: {
        Timestamp: '2026-11-25T23:00:00Z',
        ContainerStartTime: '2026-11-25T22:59:00Z',
        Uptime100ns: 600000000,
        Processor: { TotalRuntime100ns: 1, RuntimeUser100ns: 0, RuntimeKernel100ns: 1 },
        Memory: { MemoryUsageCommitBytes: 4096 },
      },
      GuestConnectionInfo: { SupportedSchemaVersions: [{ Major: 2, Minor: 1 }], ProtocolVersion: 4 },
      PropertyResponses: { CompatibilityInfo: { Response: { Data: 'AAAA' } } },
    };
    expect(check(Properties, doc)).toEqual([]);
    expect(check(Properties, { Id: 'x', SystemType: 'VirtualMachine', State: 'Starting' })).toEqual([
      {
        path: 'State',
        message:
          'must be one of "Created", "Running", "Paused", "Stopped", "SavedAsTemplate", "Unknown", got "Starting"',
      },
    ]);
    expect(check(Properties, { SystemType: 'Container' })).toEqual([{ path: 'Id', message: 'is required' }]);
  });
});

describe('assertValid and error classes', () => {
  it('throws SchemaValidationError naming what and the first path', () => {
    const doc = mutated((d) => {
      d.VirtualMachine.ComputeTopology.Memory.SizeInMB = -5;
      d.SchemaVersion.Major = 'two' as unknown as number;
    });
    let caught: unknown;
    try {
      assertValid(ComputeSystem, doc, 'compute system document');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SchemaValidationError);
    const err = caught as SchemaValidationError;
    expect(err.code).toBe('SchemaValidation');
    expect(err.path).toBe('SchemaVersion.Major');
    expect(err.issues).toEqual([
      { path: 'SchemaVersion.Major', message: 'expected an integer, got "two"' },
      { path: 'VirtualMachine.ComputeTopology.Memory.SizeInMB', message: 'must be >= 1, got -5' },
    ]);
    expect(err.message).toBe(
      'invalid compute system document: SchemaVersion.Major: expected an integer, got "two" (and 1 more issue)',
    );
  });

  it('names the root as (root)', () => {
    expect(() => assertValid(CpuGroup, [], 'cpu group')).toThrow(
      'invalid cpu group: (root): expected an object, got an array',
    );
  });

  it('error brands survive duplicate copies (Symbol.for)', () => {
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('@uvmkit/hcs-schema.error'), {
      value: 'InvalidArgumentError',
    });
    expect(foreign instanceof InvalidArgumentError).toBe(true);
    expect(foreign instanceof SchemaValidationError).toBe(false);
    expect(new Error('plain') instanceof InvalidArgumentError).toBe(false);
  });
});
