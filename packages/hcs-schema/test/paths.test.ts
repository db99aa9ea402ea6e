import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { ScsiControllerGuids, scsiControllerIndex } from '../src/guid.js';
import {
  comPortPath,
  cpuFrequencyPowerCapPath,
  cpuGroupPath,
  flexibleIovPath,
  gpuPath,
  hvSocketServicePath,
  idledProcessorsPath,
  isResourcePathDescriptor,
  licensingPath,
  mappedPipePath,
  memorySizePath,
  networkAdapterPath,
  parseResourcePath,
  plan9SharesPath,
  processorLimitsPath,
  type ResourceKind,
  type ResourcePathDescriptor,
  resourcePathSpecs,
  scsiAttachmentPath,
  scsiAttachmentPathByKey,
  sharedMemoryRegionsPath,
  virtualPciPath,
  vpmemDevicePath,
  vpmemMappingPath,
  vsmbSharesPath,
} from '../src/paths.js';

const NIC = '7e3c9a10-52b4-4c1d-9f0e-1a2b3c4d5e6f';
const VMBUS = '1b6f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const SERVICE = 'e0e16197-dd56-4a10-9195-5ee7a155a838';
const PIPE = '\\\\.\\pipe\\uvm-console';

/** Every builder with a valid call, the exact path, and what parseResourcePath must return. */
const cases: ReadonlyArray<{
  name: string;
  build: () => ResourcePathDescriptor;
  path: string;
  kind: ResourceKind;
  params: Record<string, string | number>;
}> = [
  {
    name: 'memorySizePath',
    build: memorySizePath,
    path: 'VirtualMachine/ComputeTopology/Memory/SizeInMB',
    kind: 'MemorySize',
    params: {},
  },
  {
    name: 'cpuGroupPath',
    build: cpuGroupPath,
    path: 'VirtualMachine/ComputeTopology/Processor/CpuGroup',
    kind: 'CpuGroup',
    params: {},
  },
  {
    name: 'processorLimitsPath',
    build: processorLimitsPath,
    path: 'VirtualMachine/ComputeTopology/Processor/Limits',
    kind: 'ProcessorLimits',
    params: {},
  },
  {
    name: 'idledProcessorsPath',
    build: idledProcessorsPath,
    path: 'VirtualMachine/ComputeTopology/Processor/IdledProcessors',
    kind: 'IdledProcessors',
    params: {},
  },
  {
    name: 'cpuFrequencyPowerCapPath',
    build: cpuFrequencyPowerCapPath,
    path: 'VirtualMachine/ComputeTopology/Processor/CpuFrequencyPowerCap',
    kind: 'CpuFrequencyPowerCap',
    params: {},
  },
  { name: 'gpuPath', build: gpuPath, path: 'VirtualMachine/ComputeTopology/Gpu', kind: 'Gpu', params: {} },
  {
    name: 'comPortPath(1)',
    build: () => comPortPath(1),
    path: 'VirtualMachine/Devices/ComPorts/1',
    kind: 'ComPort',
    params: { index: 1 },
  },
  {
    name: 'comPortPath(0)',
    build: () => comPortPath(0),
    path: 'VirtualMachine/Devices/ComPorts/0',
    kind: 'ComPort',
    params: { index: 0 },
  },
  {
    name: 'flexibleIovPath',
    build: () => flexibleIovPath('nvme-emu_0.v2'),
    path: 'VirtualMachine/Devices/FlexibleIov/nvme-emu_0.v2',
    kind: 'FlexibleIov',
    params: { name: 'nvme-emu_0.v2' },
  },
  {
    name: 'licensingPath',
    build: licensingPath,
    path: 'VirtualMachine/Devices/Licensing',
    kind: 'Licensing',
    params: {},
  },
  {
    name: 'mappedPipePath',
    build: () => mappedPipePath(PIPE),
    path: 'VirtualMachine/Devices/MappedPipes/\\\\.\\pipe\\uvm-console',
    kind: 'MappedPipe',
    params: { hostPath: PIPE },
  },
  {
    name: 'mappedPipePath (nested name)',
    build: () => mappedPipePath('\\\\.\\pipe\\docker\\engine'),
    path: 'VirtualMachine/Devices/MappedPipes/\\\\.\\pipe\\docker\\engine',
    kind: 'MappedPipe',
    params: { hostPath: '\\\\.\\pipe\\docker\\engine' },
  },
  {
    name: 'networkAdapterPath',
    build: () => networkAdapterPath(NIC),
    path: `VirtualMachine/Devices/NetworkAdapters/${NIC}`,
    kind: 'NetworkAdapter',
    params: { nicId: NIC },
  },
  {
    name: 'networkAdapterPath (upper case → lower case)',
    build: () => networkAdapterPath(NIC.toUpperCase()),
    path: `VirtualMachine/Devices/NetworkAdapters/${NIC}`,
    kind: 'NetworkAdapter',
    params: { nicId: NIC },
  },
  {
    name: 'plan9SharesPath',
    build: plan9SharesPath,
    path: 'VirtualMachine/Devices/Plan9/Shares',
    kind: 'Plan9Share',
    params: {},
  },
  {
    name: 'scsiAttachmentPath(0, 0)',
    build: () => scsiAttachmentPath(0, 0),
    path: 'VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/0',
    kind: 'ScsiAttachment',
    params: { controller: 'df6d0690-79e5-55b6-a5ec-c1e2f77f580a', lun: 0 },
  },
  {
    name: 'scsiAttachmentPath(3, 63)',
    build: () => scsiAttachmentPath(3, 63),
    path: 'VirtualMachine/Devices/Scsi/305891a9-b251-5dfe-91a2-c25d9212275b/Attachments/63',
    kind: 'ScsiAttachment',
    params: { controller: '305891a9-b251-5dfe-91a2-c25d9212275b', lun: 63 },
  },
  {
    name: 'sharedMemoryRegionsPath',
    build: sharedMemoryRegionsPath,
    path: 'VirtualMachine/Devices/SharedMemory/Regions',
    kind: 'SharedMemoryRegion',
    params: {},
  },
  {
    name: 'virtualPciPath',
    build: () => virtualPciPath(VMBUS),
    path: `VirtualMachine/Devices/VirtualPci/${VMBUS}`,
    kind: 'VirtualPci',
    params: { vmbusGuid: VMBUS },
  },
  {
    name: 'vpmemDevicePath',
    build: () => vpmemDevicePath(127),
    path: 'VirtualMachine/Devices/VirtualPMem/Devices/127',
    kind: 'VPMemDevice',
    params: { deviceNumber: 127 },
  },
  {
    name: 'vpmemMappingPath',
    build: () => vpmemMappingPath(3, 1073741824),
    path: 'VirtualMachine/Devices/VirtualPMem/Devices/3/Mappings/1073741824',
    kind: 'VPMemMapping',
    params: { deviceNumber: 3, offset: 1073741824 },
  },
  {
    name: 'vpmemMappingPath (max safe offset)',
    build: () => vpmemMappingPath(0, Number.MAX_SAFE_INTEGER),
    path: 'VirtualMachine/Devices/VirtualPMem/Devices/0/Mappings/9007199254740991',
    kind: 'VPMemMapping',
    params: { deviceNumber: 0, offset: Number.MAX_SAFE_INTEGER },
  },
  {
    name: 'vsmbSharesPath',
    build: vsmbSharesPath,
    path: 'VirtualMachine/Devices/VirtualSmb/Shares',
    kind: 'VsmbShare',
    params: {},
  },
  {
    name: 'hvSocketServicePath',
    build: () => hvSocketServicePath(SERVICE.toUpperCase()),
    path: `VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/${SERVICE}`,
    kind: 'HvSocketService',
    params: { serviceId: SERVICE },
  },
];

describe('resource-path builders', () => {
  it.each(cases)('$name builds the exact path and parses back', ({ build, path, kind, params }) => {
    expect(build().path).toBe(path);
    const match = parseResourcePath(path);
    expect(match).toEqual({ kind, params, spec: resourcePathSpecs[kind] });
  });

  it.each(cases)(
    '$name returns a frozen descriptor: what parsing its path gives, plus the path',
    ({ build, path, kind, params }) => {
      const descriptor = build();
      expect(descriptor).toEqual({ kind, params, spec: resourcePathSpecs[kind], path });
      expect(descriptor.spec).toBe(resourcePathSpecs[kind]);
      expect(Object.isFrozen(descriptor)).toBe(true);
      expect(Object.isFrozen(descriptor.params)).toBe(true);
      expect(isResourcePathDescriptor(descriptor)).toBe(true);
      expect(isResourcePathDescriptor({ ...descriptor })).toBe(false);
      expect(isResourcePathDescriptor(parseResourcePath(path))).toBe(false);
    },
  );

  it('covers every ResourceKind', () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(Object.keys(resourcePathSpecs)));
  });

  it('scsiControllerIndex is the inverse of the controller mapping', () => {
    expect(ScsiControllerGuids.map((g) => scsiControllerIndex(g))).toEqual([0, 1, 2, 3]);
    expect(scsiControllerIndex(ScsiControllerGuids[3].toUpperCase())).toBe(3);
    expect(scsiControllerIndex('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')).toBeUndefined();
    expect(scsiControllerIndex('0')).toBeUndefined();
  });

  it('maps SCSI controllers 0..3 to ScsiControllerGuids', () => {
    expect([0, 1, 2, 3].map((c) => scsiAttachmentPath(c, 5).path)).toEqual(
      ScsiControllerGuids.map((g) => `VirtualMachine/Devices/Scsi/${g}/Attachments/5`),
    );
  });
});

function thrown(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidArgumentError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const anyCall = <A extends unknown[]>(fn: (...args: never[]) => ResourcePathDescriptor, ...args: A) =>
  (fn as unknown as (...a: A) => ResourcePathDescriptor)(...args).path;

describe('builders reject bad arguments with InvalidArgumentError', () => {
  const integerBad: ReadonlyArray<[string, unknown]> = [
    ['NaN', Number.NaN],
    ['float', 1.5],
    ['negative', -1],
    ['string "1"', '1'],
    ['string "../"', '../'],
    ['string "%2F"', '%2F'],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['unsafe integer', 2 ** 53],
    ['bigint', 1n],
    ['undefined', undefined],
  ];
  const integerArgs: ReadonlyArray<{
    name: string;
    argument: string;
    call: (v: unknown) => string;
    max: number;
  }> = [
    { name: 'comPortPath', argument: 'index', call: (v) => anyCall(comPortPath, v), max: 1 },
    {
      name: 'scsiAttachmentPath controller',
      argument: 'controller',
      call: (v) => anyCall(scsiAttachmentPath, v, 0),
      max: 3,
    },
    {
      name: 'scsiAttachmentPath lun',
      argument: 'lun',
      call: (v) => anyCall(scsiAttachmentPath, 0, v),
      max: 63,
    },
    { name: 'vpmemDevicePath', argument: 'deviceNumber', call: (v) => anyCall(vpmemDevicePath, v), max: 127 },
    {
      name: 'vpmemMappingPath deviceNumber',
      argument: 'deviceNumber',
      call: (v) => anyCall(vpmemMappingPath, v, 0),
      max: 127,
    },
    {
      name: 'vpmemMappingPath offsetBytes',
      argument: 'offsetBytes',
      call: (v) => anyCall(vpmemMappingPath, 0, v),
      max: Number.MAX_SAFE_INTEGER,
    },
  ];

  for (const { name, argument, call, max } of integerArgs) {
    it(`${name}: out of range, NaN, float, negative, strings, unsafe`, () => {
      const bad =
        max === Number.MAX_SAFE_INTEGER ? integerBad : [...integerBad, ['out of range', max + 1] as const];
      for (const [label, value] of bad) {
        const err = thrown(() => call(value));
        expect({ label, code: err.code, argument: err.argument, value: err.value }).toEqual({
          label,
          code: 'InvalidArgument',
          argument,
          value,
        });
      }
      expect(call(max)).toContain(`/${max}`);
    });
  }

  it('exact messages', () => {
    expect(thrown(() => scsiAttachmentPath(0, 64)).message).toBe(
      'invalid argument lun (64): must be in 0..63',
    );
    expect(thrown(() => scsiAttachmentPath(4, 0)).message).toBe(
      'invalid argument controller (4): must be in 0..3',
    );
    expect(thrown(() => vpmemDevicePath(1.5)).message).toBe(
      'invalid argument deviceNumber (1.5): must be a safe integer',
    );
    expect(thrown(() => anyCall(comPortPath, '1')).message).toBe(
      'invalid argument index ("1"): must be a number',
    );
    expect(thrown(() => networkAdapterPath('nic0')).message).toBe(
      'invalid argument nicId ("nic0"): must be a bare GUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
    );
    expect(thrown(() => mappedPipePath('\\\\.\\pipe\\a%2Fb')).message).toBe(
      'invalid argument hostPath ("\\\\\\\\.\\\\pipe\\\\a%2Fb"): must not contain "%"',
    );
  });

  const guidBad: ReadonlyArray<[string, unknown]> = [
    ['empty', ''],
    ['not a GUID', 'nic0'],
    ['braced', `{${NIC}}`],
    ['traversal', '../x'],
    ['slash', `${NIC}/x`],
    ['%2F', `${NIC}%2F..`],
    ['control char', `${NIC}\n`],
    ['too short', NIC.slice(1)],
    ['non-hex', 'g'.repeat(8) + NIC.slice(8)],
    ['number', 1],
  ];
  const guidArgs: ReadonlyArray<{ argument: string; call: (v: unknown) => string }> = [
    { argument: 'nicId', call: (v) => anyCall(networkAdapterPath, v) },
    { argument: 'vmbusGuid', call: (v) => anyCall(virtualPciPath, v) },
    { argument: 'serviceId', call: (v) => anyCall(hvSocketServicePath, v) },
  ];
  for (const { argument, call } of guidArgs) {
    it(`${argument}: every non-GUID is rejected`, () => {
      for (const [label, value] of guidBad) {
        const err = thrown(() => call(value));
        expect({ label, argument: err.argument, value: err.value }).toEqual({ label, argument, value });
      }
    });
  }

  it('flexibleIovPath name: ../, /, %2F, control, empty, dots, other characters', () => {
    const bad: unknown[] = [
      '',
      '.',
      '..',
      '../etc',
      'a/b',
      'a%2Fb',
      'a\u0000b',
      'a\tb',
      'a\u0085',
      'a b',
      'ü',
      'a\\b',
      7,
    ];
    for (const value of bad) {
      const err = thrown(() => anyCall(flexibleIovPath, value));
      expect({ argument: err.argument, value: err.value }).toEqual({ argument: 'name', value });
    }
    expect(flexibleIovPath('..a').path).toBe('VirtualMachine/Devices/FlexibleIov/..a');
  });

  it('mappedPipePath: must look like \\\\.\\pipe\\<name> with a clean name', () => {
    const bad: unknown[] = [
      '',
      'uvm-console',
      '\\\\.\\pipe\\',
      '\\\\.\\pipe\\..',
      '\\\\.\\pipe\\a\\..\\b',
      '\\\\.\\pipe\\a\\\\b',
      '\\\\.\\pipe\\.',
      '\\\\.\\pipe\\a/b',
      '\\\\.\\pipe\\..%2F..%2Fx',
      '\\\\.\\pipe\\a\u001fb',
      '\\\\.\\pipe\\a\u007f',
      '\\\\server\\pipe\\x',
      '//./pipe/x',
      null,
    ];
    for (const value of bad) {
      const err = thrown(() => anyCall(mappedPipePath, value));
      expect({ argument: err.argument, value: err.value }).toEqual({ argument: 'hostPath', value });
    }
    expect(mappedPipePath('\\\\.\\PIPE\\x').path).toBe('VirtualMachine/Devices/MappedPipes/\\\\.\\PIPE\\x');
  });
});

describe('parseResourcePath rejects unknown and tampered paths', () => {
  const good = scsiAttachmentPath(0, 1).path;
  const tampered = [
    '',
    'VirtualMachine',
    `/${good}`,
    `${good}/`,
    `${good}/x`,
    good.replace('/1', '/64'),
    good.replace('/1', '/01'),
    good.replace('/1', '/-1'),
    good.replace('/1', '/1.0'),
    good.replace('/1', '/ 1'),
    good.replace('Scsi', 'scsi'),
    good.replace(ScsiControllerGuids[0], '__proto__'),
    good.replace(ScsiControllerGuids[0], 'a.b'),
    good.replace(ScsiControllerGuids[0], 'x'.repeat(65)),
    good.replace(ScsiControllerGuids[0], '..'),
    good.replace(ScsiControllerGuids[0], `{${ScsiControllerGuids[0]}}`),
    `VirtualMachine/Devices/ComPorts/2`,
    `VirtualMachine/Devices/ComPorts/`,
    `VirtualMachine/Devices/FlexibleIov/..`,
    `VirtualMachine/Devices/FlexibleIov/a%2Fb`,
    `VirtualMachine/Devices/FlexibleIov/a b`,
    `VirtualMachine/Devices/NetworkAdapters/nic0`,
    `VirtualMachine/Devices/NetworkAdapters/${NIC}/../${NIC}`,
    `VirtualMachine/Devices/VirtualPci/${VMBUS}\u0000`,
    `VirtualMachine/Devices/MappedPipes/\\\\.\\pipe\\..`,
    `VirtualMachine/Devices/MappedPipes/\\\\.\\pipe\\a%2F..`,
    `VirtualMachine/Devices/MappedPipes/x`,
    `VirtualMachine/Devices/VirtualPMem/Devices/128`,
    `VirtualMachine/Devices/VirtualPMem/Devices/1/Mappings/9007199254740992`,
    `VirtualMachine/Devices/VirtualPMem/Devices/1/Mappings/1e3`,
    `VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/`,
    `VirtualMachine/ComputeTopology/Memory/SizeInMB/`,
    `VirtualMachine//ComputeTopology/Memory/SizeInMB`,
    `hcs:/VirtualMachine/LiveMigrationSocket`,
    `Container/Memory/SizeInMB`,
  ];
  it.each(tampered)('%j → undefined', (path) => {
    expect(parseResourcePath(path)).toBeUndefined();
  });

  it('non-strings → undefined', () => {
    expect(parseResourcePath(1 as unknown as string)).toBeUndefined();
    expect(parseResourcePath(undefined as unknown as string)).toBeUndefined();
  });

  it('keeps GUID params as spelled in the path (validated case-insensitively)', () => {
    const upper = `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[2].toUpperCase()}/Attachments/7`;
    expect(parseResourcePath(upper)?.params).toEqual({
      controller: ScsiControllerGuids[2].toUpperCase(),
      lun: 7,
    });
    const other = 'VirtualMachine/Devices/Scsi/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/Attachments/0';
    expect(parseResourcePath(other)?.kind).toBe('ScsiAttachment');
  });

  it('addresses a SCSI controller by whatever key the VM uses ("0", as hcsshim named them)', () => {
    expect(parseResourcePath('VirtualMachine/Devices/Scsi/0/Attachments/3')?.params).toEqual({
      controller: '0',
      lun: 3,
    });
    expect(scsiAttachmentPathByKey('0', 3).path).toBe('VirtualMachine/Devices/Scsi/0/Attachments/3');
    expect(() => scsiAttachmentPathByKey('..', 0)).toThrow(/controller/);
    expect(() => scsiAttachmentPathByKey('__proto__', 0)).toThrow(/controller/);
  });
});

describe('resourcePathSpecs', () => {
  it('request types and settings-on-remove per §6a', () => {
    const summary = Object.fromEntries(
      Object.entries(resourcePathSpecs).map(([k, s]) => [
        k,
        [s.requestTypes, s.settingsOnRemove, s.settings === undefined ? 'none' : 'schema'],
      ]),
    );
    expect(summary).toEqual({
      MemorySize: ['any', false, 'schema'],
      CpuGroup: ['any', false, 'schema'],
      ProcessorLimits: ['any', false, 'schema'],
      IdledProcessors: [['Update'], false, 'schema'],
      CpuFrequencyPowerCap: ['any', false, 'schema'],
      Gpu: [['Update'], false, 'schema'],
      ComPort: ['any', false, 'schema'],
      FlexibleIov: [['Add'], false, 'schema'],
      Licensing: ['any', false, 'schema'],
      MappedPipe: [['Add', 'Remove'], false, 'none'],
      NetworkAdapter: [['Add', 'Remove', 'Update'], true, 'schema'],
      Plan9Share: [['Add', 'Remove'], true, 'schema'],
      ScsiAttachment: [['Add', 'Remove'], false, 'schema'],
      SharedMemoryRegion: ['any', true, 'schema'],
      VirtualPci: [['Add', 'Remove'], false, 'schema'],
      VPMemDevice: [['Add', 'Remove'], false, 'schema'],
      VPMemMapping: [['Add', 'Remove'], false, 'schema'],
      VsmbShare: [['Add', 'Remove', 'Update'], true, 'schema'],
      HvSocketService: [['Update', 'Remove'], false, 'schema'],
    });
  });
});
