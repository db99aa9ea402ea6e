// Validation throughput on a realistic LCOW document. Run after `pnpm --filter @uvmkit/hcs-schema build`:
//   node bench/validate.mjs
import { performance } from 'node:perf_hooks';
import {
  ComputeSystem,
  check,
  checkModifySettingRequest,
  modifySettingRequest,
  parseResourcePath,
  ScsiControllerGuids,
  scsiAttachmentPath,
} from '../dist/index.js';

const doc = {
  Owner: 'bench',
  SchemaVersion: { Major: 2, Minor: 1 },
  ShouldTerminateOnLastHandleClosed: true,
  VirtualMachine: {
    StopOnReset: true,
    Chipset: {
      LinuxKernelDirect: {
        KernelFilePath: 'C:\\k\\vmlinux',
        InitRdPath: 'C:\\k\\initrd.img',
        KernelCmdLine: 'console=ttyS0',
      },
    },
    ComputeTopology: { Memory: { SizeInMB: 1024, AllowOvercommit: true }, Processor: { Count: 2 } },
    Devices: {
      Scsi: Object.fromEntries(
        ScsiControllerGuids.map((g) => [
          g,
          {
            Attachments: Object.fromEntries(
              [0, 1, 2, 3].map((l) => [String(l), { Type: 'VirtualDisk', Path: `C:\\d${l}.vhdx` }]),
            ),
          },
        ]),
      ),
      VirtualPMem: {
        MaximumCount: 64,
        Devices: { 0: { HostPath: 'C:\\k\\rootfs.vhd', ReadOnly: true, ImageFormat: 'Vhd1' } },
      },
      Plan9: { Shares: [{ Name: '1', AccessName: '1', Path: 'C:\\s', Port: 564, Flags: 4 }] },
      HvSocket: {
        HvSocketConfig: {
          ServiceTable: { 'e0e16197-dd56-4a10-9195-5ee7a155a838': { AllowWildcardBinds: true } },
        },
      },
    },
    GuestConnection: { UseVsock: true },
  },
};
const bad = structuredClone(doc);
bad.VirtualMachine.Devices.Scsi[ScsiControllerGuids[0]].Attachments['1'].Type = 'Vhd';
bad.VirtualMachine.ComputeTopology.Memory.SizeInMB = -1;

function time(label, n, fn) {
  for (let i = 0; i < Math.min(n, 1000); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${label.padEnd(44)} ${us.toFixed(2).padStart(8)} µs/op`);
}

const c0 = performance.now();
check(ComputeSystem, doc);
console.log(
  `${'first check (compile ComputeSystem)'.padEnd(44)} ${(performance.now() - c0).toFixed(2).padStart(8)} ms`,
);
time('check(ComputeSystem, valid LCOW doc)', 20000, () => check(ComputeSystem, doc));
time('check(ComputeSystem, doc with 2 issues)', 5000, () => check(ComputeSystem, bad));
const req = {
  ResourcePath: scsiAttachmentPath(1, 7).path,
  RequestType: 'Add',
  Settings: { Type: 'VirtualDisk', Path: 'C:\\x.vhdx' },
};
time('checkModifySettingRequest(SCSI add)', 20000, () => checkModifySettingRequest(req));
time('parseResourcePath(SCSI attachment)', 50000, () => parseResourcePath(req.ResourcePath));
const typed = modifySettingRequest(scsiAttachmentPath(1, 7), { RequestType: 'Add', Settings: req.Settings });
time('checkModifySettingRequest(typed SCSI add)', 20000, () => checkModifySettingRequest(typed));
time('scsiAttachmentPath + modifySettingRequest', 50000, () =>
  modifySettingRequest(scsiAttachmentPath(1, 7), { RequestType: 'Add', Settings: req.Settings }),
);
