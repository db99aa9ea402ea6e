/** `VirtualMachine.ComputeTopology` and the processor/memory/GPU settings documents of §6a. */
import { type Static, Type } from '@sinclair/typebox';
import { AnyObject, Guid, literals, strict, UInt16, UInt32, UInt64 } from './common.js';

/** `{Id}`; Id `00000000-0000-0000-0000-000000000000` removes the VM from its CPU group. */
export const CpuGroup = strict({ Id: Guid }, 'CpuGroup');
export type CpuGroup = Static<typeof CpuGroup>;

export const ProcessorLimits = strict(
  {
    Limit: Type.Optional(UInt64),
    Weight: Type.Optional(UInt64),
    Reservation: Type.Optional(UInt64),
    MaximumFrequencyMHz: Type.Optional(UInt32),
  },
  'ProcessorLimits',
);
export type ProcessorLimits = Static<typeof ProcessorLimits>;

export const IdleProcessorsRequest = strict({ IdleProcessorCount: UInt32 }, 'IdleProcessorsRequest');
export type IdleProcessorsRequest = Static<typeof IdleProcessorsRequest>;

/** Settings of `…/Processor/CpuFrequencyPowerCap`: a bare ULONG. */
export const CpuFrequencyPowerCap = Type.Integer({ minimum: 0, maximum: 0xffffffff, description: 'ULONG' });
export type CpuFrequencyPowerCap = Static<typeof CpuFrequencyPowerCap>;

/** Settings of `…/Memory/SizeInMB`: a bare integer, the new size in MB (≥ 1). */
export const MemorySizeInMB = Type.Integer({ minimum: 1, description: 'new memory size in MB' });
export type MemorySizeInMB = Static<typeof MemorySizeInMB>;

export const GpuAssignmentMode = literals('Disabled', 'Default', 'List', 'Mirror');
export type GpuAssignmentMode = Static<typeof GpuAssignmentMode>;

export const GpuConfiguration = strict(
  {
    AssignmentMode: Type.Optional(GpuAssignmentMode),
    AssignmentRequest: Type.Optional(Type.Record(Type.String(), UInt16, { additionalProperties: false })),
    AllowVendorExtension: Type.Optional(Type.Boolean()),
  },
  'GpuConfiguration',
);
export type GpuConfiguration = Static<typeof GpuConfiguration>;

export const MemoryBacking = literals('Physical', 'Virtual', 'Hybrid');
export type MemoryBacking = Static<typeof MemoryBacking>;

export const VirtualMachineMemory = strict(
  {
    SizeInMB: Type.Integer({ minimum: 1 }),
    Backing: Type.Optional(MemoryBacking),
    AllowOvercommit: Type.Optional(Type.Boolean()),
    EnableHotHint: Type.Optional(Type.Boolean()),
    EnableColdHint: Type.Optional(Type.Boolean()),
    EnableColdDiscardHint: Type.Optional(Type.Boolean()),
    EnableDeferredCommit: Type.Optional(Type.Boolean()),
    LowMmioGapInMB: Type.Optional(UInt64),
    HighMmioBaseInMB: Type.Optional(UInt64),
    HighMmioGapInMB: Type.Optional(UInt64),
    SlitType: Type.Optional(Type.String()),
    BackingPageSize: Type.Optional(literals('Small', 'Large')),
    FaultClusterSizeShift: Type.Optional(UInt32),
    DirectMapFaultClusterSizeShift: Type.Optional(UInt32),
    PinBackingPages: Type.Optional(Type.Boolean()),
    ForbidSmallBackingPages: Type.Optional(Type.Boolean()),
  },
  'VirtualMachine_Memory',
);
export type VirtualMachineMemory = Static<typeof VirtualMachineMemory>;

export const VirtualMachineProcessor = strict(
  {
    Count: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
    Limit: Type.Optional(UInt64),
    Weight: Type.Optional(UInt64),
    Reservation: Type.Optional(UInt64),
    CpuGroup: Type.Optional(CpuGroup),
    NumaProcessorsSettings: Type.Optional(AnyObject),
    MaximumFrequencyMHz: Type.Optional(UInt32),
    ExposeVirtualizationExtensions: Type.Optional(Type.Boolean()),
    EnablePerfmonPmu: Type.Optional(Type.Boolean()),
    EnablePerfmonArchPmu: Type.Optional(Type.Boolean()),
    EnablePerfmonPebs: Type.Optional(Type.Boolean()),
    EnablePerfmonLbr: Type.Optional(Type.Boolean()),
    EnablePerfmonIpt: Type.Optional(Type.Boolean()),
    EnablePageShattering: Type.Optional(Type.Boolean()),
    DisableSpeculationControls: Type.Optional(Type.Boolean()),
    ProcessorFeatureSet: Type.Optional(AnyObject),
  },
  'VirtualMachine_Processor',
);
export type VirtualMachineProcessor = Static<typeof VirtualMachineProcessor>;

/** `VirtualMachine.ComputeTopology`. */
export const Topology = strict(
  {
    Memory: VirtualMachineMemory,
    Processor: Type.Optional(VirtualMachineProcessor),
    Numa: Type.Optional(AnyObject),
  },
  'Topology',
);
export type Topology = Static<typeof Topology>;
