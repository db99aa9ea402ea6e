import { type Static, Type } from '@sinclair/typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  Attachment,
  ComputeSystem,
  ModifySettingRequest,
  RequestType,
  ResourceKind,
} from '../src/index.js';
import * as api from '../src/index.js';
import { check } from '../src/validate.js';

describe('static types', () => {
  it('enum-like strings are unions of literals and keys are spelled as HCS does', () => {
    expectTypeOf<Attachment['Type']>().toEqualTypeOf<
      'VirtualDisk' | 'Iso' | 'PassThru' | 'ExtensibleVirtualDisk'
    >();
    expectTypeOf<RequestType>().toEqualTypeOf<'Add' | 'Remove' | 'Update'>();
    expectTypeOf<ComputeSystem['SchemaVersion']>().toEqualTypeOf<{ Major: number; Minor: number }>();
    expectTypeOf<ModifySettingRequest['Settings']>().toEqualTypeOf<unknown>();
    const a: Attachment = { Type: 'Iso', Path: 'C:\\a.iso' };
    // @ts-expect-error not an attachment type
    const b: Attachment = { Type: 'Vhd', Path: 'x' };
    // @ts-expect-error typo'd key
    const c: Attachment = { Type: 'Iso', Pth: 'x' };
    expect(check(api.Attachment, a)).toEqual([]);
    expect(check(api.Attachment, b)).toHaveLength(1);
    expect(check(api.Attachment, c)).toHaveLength(2);
  });

  it('ResourceKind lists the 19 §6a kinds', () => {
    expectTypeOf<keyof typeof api.resourcePathSpecs>().toEqualTypeOf<ResourceKind>();
    expect(Object.keys(api.resourcePathSpecs)).toHaveLength(19);
  });

  it('the package entry exports the contract names', () => {
    const names = [
      'ComputeSystem',
      'VirtualMachine',
      'Chipset',
      'Uefi',
      'UefiBootEntry',
      'LinuxKernelDirect',
      'Topology',
      'VirtualMachineMemory',
      'VirtualMachineProcessor',
      'Devices',
      'Scsi',
      'Attachment',
      'NetworkAdapter',
      'VirtualPMemController',
      'VirtualPMemDevice',
      'VirtualPMemMapping',
      'Plan9',
      'Plan9Share',
      'VirtualSmb',
      'VirtualSmbShare',
      'VirtualSmbShareOptions',
      'VirtualPciDevice',
      'VirtualPciFunction',
      'HvSocketSystemConfig',
      'HvSocketServiceConfig',
      'ComPort',
      'CpuGroup',
      'ProcessorLimits',
      'IdleProcessorsRequest',
      'GpuConfiguration',
      'FlexibleIoDevice',
      'SharedMemoryRegion',
      'ModifySettingRequest',
      'PropertyQuery',
      'Properties',
      'SystemQuery',
      'SaveOptions',
      'PauseOptions',
      'ShutdownOptions',
      'CrashOptions',
      'StartOptions',
      'ResultError',
      'SystemExitStatus',
      'GuestState',
      'RestoreState',
      'GuestConnection',
      'ServiceProperties',
      'GuestConnectionInfo',
      'ProcessStatus',
      'CrashReport',
      'ErrorEvent',
      'AttributionRecord',
      'MemoryInformationForVm',
      'Statistics',
    ] as const;
    for (const name of names) {
      const schema = (api as Record<string, unknown>)[name] as { [k: symbol]: unknown } | undefined;
      expect({ name, isSchema: typeof schema === 'object' && schema !== null }).toEqual({
        name,
        isSchema: true,
      });
    }
    const functions = [
      'check',
      'assertValid',
      'systemKind',
      'parseResourcePath',
      'checkModifySettingRequest',
      'modifySettingRequest',
      'isResourcePathDescriptor',
      'memorySizePath',
      'cpuGroupPath',
      'processorLimitsPath',
      'idledProcessorsPath',
      'cpuFrequencyPowerCapPath',
      'gpuPath',
      'comPortPath',
      'flexibleIovPath',
      'licensingPath',
      'mappedPipePath',
      'networkAdapterPath',
      'plan9SharesPath',
      'scsiAttachmentPath',
      'sharedMemoryRegionsPath',
      'virtualPciPath',
      'vpmemDevicePath',
      'vpmemMappingPath',
      'vsmbSharesPath',
      'hvSocketServicePath',
    ];
    for (const name of functions) {
      expect({ name, type: typeof (api as Record<string, unknown>)[name] }).toEqual({
        name,
        type: 'function',
      });
    }
    expect(api.ScsiControllerGuids).toHaveLength(4);
  });
});

describe('non-literal unions', () => {
  it('reports the issues of the variant that got furthest', () => {
    const schema = Type.Union([
      Type.Object({ Kind: Type.Literal('a'), Size: Type.Integer() }, { additionalProperties: false }),
      Type.Integer(),
    ]);
    expectTypeOf<Static<typeof schema>>().toEqualTypeOf<{ Kind: 'a'; Size: number } | number>();
    expect(check(schema, { Kind: 'a', Size: 'big' })).toEqual([
      { path: 'Size', message: 'expected an integer, got "big"' },
    ]);
    expect(check(schema, 'x')).toEqual([{ path: '', message: 'does not match any allowed form, got "x"' }]);
    expect(check(Type.Object({ V: schema }), { V: true })).toEqual([
      { path: 'V', message: 'does not match any allowed form, got true' },
    ]);
  });
});
