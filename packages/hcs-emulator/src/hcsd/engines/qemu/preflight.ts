/**
 * Checks made before QEMU is spawned, so bad input answers a specific HRESULT and nothing is
 * left running: the kernel and initrd exist, are readable and look like what they claim to be;
 * the VM's memory fits in the host; every disk image and VPMem file is readable (and writable
 * unless read-only). QEMU's own later refusal of anything else surfaces as its error text.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { fail, HR } from '../../errors.js';
import { isObj, type Obj } from '../../json.js';

function head(path: string, bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A file `what` at `path` that must exist and be readable (and writable when `write`). */
export function checkFile(what: string, path: string, write = false): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(HR.ERROR_FILE_NOT_FOUND, `${what} ${path}: no such file`);
    if (code === 'EACCES') fail(HR.ERROR_ACCESS_DENIED, `${what} ${path}: permission denied`);
    fail(HR.ERROR_PATH_NOT_FOUND, `${what} ${path}: ${code ?? String(e)}`);
  }
  if (!st.isFile() && !st.isBlockDevice()) fail(HR.ERROR_BAD_FORMAT, `${what} ${path}: not a regular file`);
  try {
    accessSync(path, constants.R_OK | (write ? constants.W_OK : 0));
    closeSync(openSync(path, write ? 'r+' : 'r'));
  } catch (e) {
    fail(
      HR.ERROR_ACCESS_DENIED,
      `${what} ${path}: cannot be opened for ${write ? 'reading and writing' : 'reading'} (${(e as NodeJS.ErrnoException).code ?? e})`,
    );
  }
}

/** ELF (a PVH vmlinux) or a bzImage (`HdrS` at 0x202). */
export function checkKernel(path: string): void {
  checkFile('kernel', path);
  const h = head(path, 0x210);
  const elf = h.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  const bz = h.length >= 0x206 && h.subarray(0x202, 0x206).toString('latin1') === 'HdrS';
  if (!elf && !bz) fail(HR.ERROR_BAD_FORMAT, `kernel ${path}: neither an ELF vmlinux nor a bzImage`);
}

const INITRD_MAGIC: [string, Buffer][] = [
  ['cpio', Buffer.from('07070', 'latin1')],
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['lz4', Buffer.from([0x02, 0x21, 0x4c, 0x18])],
  ['bzip2', Buffer.from('BZh', 'latin1')],
  ['lzma', Buffer.from([0x5d, 0x00, 0x00])],
];

/** A cpio archive, possibly compressed. */
export function checkInitrd(path: string): void {
  checkFile('initrd', path);
  const h = head(path, 8);
  if (!INITRD_MAGIC.some(([, m]) => h.subarray(0, m.length).equals(m)))
    fail(
      HR.ERROR_BAD_FORMAT,
      `initrd ${path}: not a cpio archive (plain or gzip/xz/zstd/lz4/bzip2/lzma compressed)`,
    );
}

const get = (o: unknown, ...keys: string[]): unknown => {
  let v: unknown = o;
  for (const k of keys) v = isObj(v) ? v[k] : undefined;
  return v;
};

/** Everything checkable in the document before spawning QEMU. */
export function preflight(config: Obj, hostMemoryBytes = totalmem()): void {
  const direct = get(config, 'VirtualMachine', 'Chipset', 'LinuxKernelDirect');
  const kernel = get(direct, 'KernelFilePath');
  if (typeof kernel === 'string') checkKernel(kernel);
  const initrd = get(direct, 'InitRdPath');
  if (typeof initrd === 'string') checkInitrd(initrd);
  const mb = get(config, 'VirtualMachine', 'ComputeTopology', 'Memory', 'SizeInMB');
  if (typeof mb === 'number' && mb * 1024 * 1024 > hostMemoryBytes)
    fail(
      HR.ERROR_NOT_ENOUGH_MEMORY,
      `ComputeTopology.Memory.SizeInMB ${mb}: more than the host's ${Math.floor(hostMemoryBytes / 1048576)} MB`,
    );
  const scsi = get(config, 'VirtualMachine', 'Devices', 'Scsi');
  for (const [key, ctl] of Object.entries(isObj(scsi) ? scsi : {})) {
    const atts = get(ctl, 'Attachments');
    for (const [lun, a] of Object.entries(isObj(atts) ? atts : {}))
      checkAttachment(`Scsi ${key} LUN ${lun}`, a);
  }
  const pmem = get(config, 'VirtualMachine', 'Devices', 'VirtualPMem', 'Devices');
  for (const [n, d] of Object.entries(isObj(pmem) ? pmem : {})) checkPmem(n, d);
}

export function checkAttachment(what: string, a: unknown): void {
  const path = get(a, 'Path');
  if (typeof path !== 'string') return;
  checkFile(`${what}: disk image`, path, get(a, 'ReadOnly') !== true && get(a, 'Type') !== 'Iso');
}

export function checkPmem(index: string, d: unknown): number {
  const path = get(d, 'HostPath');
  if (typeof path !== 'string') fail(HR.E_INVALIDARG, `VirtualPMem device ${index}: HostPath is required`);
  checkFile(`VirtualPMem device ${index}: image`, path, get(d, 'ReadOnly') !== true);
  const size = statSync(path).size;
  if (size === 0 || size % (2 << 20) !== 0)
    fail(
      HR.ERROR_BAD_FORMAT,
      `VirtualPMem device ${index}: image ${path} is ${size} bytes; virtio-pmem needs a non-zero multiple of 2 MiB`,
    );
  return size;
}
