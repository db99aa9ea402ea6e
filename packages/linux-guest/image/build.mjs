#!/usr/bin/env node
/**
 * `pnpm guest-image`: builds the uvmkit Linux guest (a PVH-bootable vmlinux and an initramfs) from
 * Debian packages into a cache directory and prints `{"kernel": "...", "initrd": "..."}` as its
 * last line.
 *
 * Inputs: the kernel package that `linux-image-amd64` depends on (downloaded with `apt-get
 * download`, extracted with `dpkg-deb -x`), busybox-static's `/bin/busybox`, the device modules
 * listed below with their dependency closure (`busybox depmod -b`), `image/init.sh` (/init),
 * `image/uevent.sh` (/bin/uvmkit-uevent, run by `mdev -d` for device uevents), and every
 * program `make -C packages/linux-guest guest` built (copied to the initramfs `/bin`).
 * Output: `$UVMKIT_GUEST_DIR`, default `~/.cache/uvmkit/guest/<key>`, where key is a hash of
 * all those inputs; an existing directory with the same key is reused as it is.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = dirname(here);
const BUSYBOX = '/bin/busybox';
const FORMAT = 1;

/** Modules the qemu engine's devices need; their dependencies are added from modules.dep. */
const MODULES = [
  'virtio_pci',
  'virtio_console',
  'virtio_scsi',
  'sd_mod',
  'crct10dif_generic',
  'crc64_rocksoft_generic',
  'crc32c_generic',
  'ext4',
  'virtio_net',
  '9p',
  '9pnet_virtio',
  'virtiofs',
  'virtio_pmem',
  'nd_pmem',
  'virtio_balloon',
  'virtio_mem',
  'virtio_rng',
  'button',
  'evdev',
];

function log(msg) {
  process.stderr.write(`guest-image: ${msg}\n`);
}

function die(msg) {
  process.stderr.write(`guest-image: error: ${msg}\n`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) die(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) die(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

/** `linux-image-amd64` → `linux-image-6.1.0-57-amd64` and its candidate version. */
function kernelPackage() {
  const deps = run('apt-cache', ['depends', 'linux-image-amd64']);
  const m = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(deps);
  if (!m?.[1]) die(`apt-cache depends linux-image-amd64 names no kernel package:\n${deps}`);
  const name = m[1];
  const show = run('apt-cache', ['show', '--no-all-versions', name]);
  const v = /^Version:\s*(\S+)/m.exec(show);
  if (!v?.[1]) die(`apt-cache show ${name} gives no Version`);
  return { name, version: v[1], release: name.replace(/^linux-image-/, '') };
}

function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** `make guest`, then every file it produced, sorted by name. */
function guestPrograms() {
  run('make', ['-s', '-C', pkgDir, 'guest']);
  const dir = join(pkgDir, 'build', 'guest');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => statSync(join(dir, n)).isFile())
    .sort()
    .map((n) => ({ name: n, path: join(dir, n), sha: sha256File(join(dir, n)) }));
}

/** The kernel .deb, from apt's cache or downloaded once into `<cache>/debs`. */
function kernelDeb(kpkg, cacheRoot) {
  const file = `${kpkg.name}_${kpkg.version.replace(/:/g, '%3a')}_amd64.deb`;
  const aptCached = join('/var/cache/apt/archives', file);
  if (existsSync(aptCached)) return aptCached;
  const debs = join(cacheRoot, 'debs');
  const ours = join(debs, file);
  if (existsSync(ours)) return ours;
  mkdirSync(debs, { recursive: true });
  const tmp = mkdtempSync(join(debs, 'dl-'));
  log(`downloading ${kpkg.name}=${kpkg.version}`);
  run('apt-get', ['download', '-q', `${kpkg.name}=${kpkg.version}`], { cwd: tmp });
  const got = readdirSync(tmp).find((n) => n.endsWith('.deb'));
  if (!got) die(`apt-get download ${kpkg.name} produced no .deb`);
  renameSync(join(tmp, got), ours);
  rmSync(tmp, { recursive: true, force: true });
  return ours;
}

/** Offset of the xz stream (`\xfd7zXZ\0`) in a bzImage. */
function xzOffset(path) {
  const buf = readFileSync(path);
  const magic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  const off = buf.indexOf(magic);
  if (off < 0) die(`${path}: no xz stream (the kernel is not xz-compressed)`);
  return off;
}

/** The uncompressed ELF vmlinux out of vmlinuz (PVH boot needs it). */
function extractVmlinux(vmlinuz, out) {
  const off = xzOffset(vmlinuz);
  // From a file, not a pipe: xz stops reading at the end of the one stream, and the bytes that
  // follow it in the bzImage, written into a pipe, would then fail with EPIPE.
  const packed = `${out}.xz`;
  writeFileSync(packed, readFileSync(vmlinuz).subarray(off));
  const r = spawnSync('xz', ['-dc', '--single-stream', packed], { maxBuffer: 512 << 20 });
  rmSync(packed, { force: true });
  if (r.error) die(`xz: ${r.error.message}`);
  if (r.status !== 0) die(`xz -dc exited ${r.status}: ${r.stderr.toString().trim()}`);
  writeFileSync(out, r.stdout);
  const head = Buffer.alloc(4);
  const fd = openSync(out, 'r');
  readSync(fd, head, 0, 4, 0);
  closeSync(fd);
  if (!head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) die('the extracted vmlinux is not an ELF file');
}

/** The module closure of MODULES, as paths relative to /lib/modules/<release>/. */
function moduleClosure(modDir) {
  const dep = new Map();
  for (const line of readFileSync(join(modDir, 'modules.dep'), 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const path = line.slice(0, i);
    dep.set(
      path,
      line
        .slice(i + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
  }
  const byName = new Map();
  for (const path of dep.keys()) {
    const base = path
      .split('/')
      .pop()
      .replace(/\.ko(\.xz|\.zst)?$/, '');
    byName.set(base.replace(/-/g, '_'), path);
  }
  const builtin = new Set(
    readFileSync(join(modDir, 'modules.builtin'), 'utf8')
      .split('\n')
      .map((p) => p.split('/').pop()?.replace(/\.ko$/, '').replace(/-/g, '_')),
  );
  const out = new Set();
  const visit = (path) => {
    if (out.has(path)) return;
    out.add(path);
    for (const d of dep.get(path) ?? []) visit(d);
  };
  const loaded = [];
  for (const name of MODULES) {
    const path = byName.get(name);
    if (path) {
      visit(path);
      loaded.push(name);
    } else if (!builtin.has(name)) die(`module ${name} is neither a module nor built in`);
  }
  return { paths: [...out].sort(), loaded };
}

function build(dir, key, kpkg, progs, cacheRoot) {
  const work = mkdtempSync(join(dirname(dir), '.build-'));
  try {
    const deb = kernelDeb(kpkg, cacheRoot);
    const kroot = join(work, 'kernel');
    run('dpkg-deb', ['-x', deb, kroot]);
    const modDir = join(kroot, 'lib', 'modules', kpkg.release);
    run(BUSYBOX, ['depmod', '-b', kroot, kpkg.release]);
    const mods = moduleClosure(modDir);

    const out = join(work, 'out');
    mkdirSync(out);
    log('extracting vmlinux');
    extractVmlinux(join(kroot, 'boot', `vmlinuz-${kpkg.release}`), join(out, 'vmlinux'));

    const root = join(work, 'initramfs');
    for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'mnt', 'run', 'root'])
      mkdirSync(join(root, d), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    symlinkSync('busybox', join(root, 'bin', 'sh'));
    const rootMods = join(root, 'lib', 'modules', kpkg.release);
    for (const rel of mods.paths) {
      mkdirSync(dirname(join(rootMods, rel)), { recursive: true });
      copyFileSync(join(modDir, rel), join(rootMods, rel));
    }
    for (const f of ['modules.builtin', 'modules.order', 'modules.builtin.modinfo']) {
      if (existsSync(join(modDir, f))) copyFileSync(join(modDir, f), join(rootMods, f));
    }
    run(BUSYBOX, ['depmod', '-b', root, kpkg.release]);
    writeFileSync(join(root, 'etc', 'uvmkit-modules'), `${mods.loaded.join(' ')}\n`);
    copyFileSync(join(here, 'init.sh'), join(root, 'init'));
    chmodSync(join(root, 'init'), 0o755);
    copyFileSync(join(here, 'uevent.sh'), join(root, 'bin', 'uvmkit-uevent'));
    chmodSync(join(root, 'bin', 'uvmkit-uevent'), 0o755);
    for (const p of progs) {
      copyFileSync(p.path, join(root, 'bin', p.name));
      chmodSync(join(root, 'bin', p.name), 0o755);
    }
    const files = run('find', ['.', '-mindepth', '1'], { cwd: root })
      .split('\n')
      .filter(Boolean)
      .sort()
      .join('\n');
    const cpio = spawnSync('cpio', ['-o', '-H', 'newc', '--quiet', '--owner=0:0', '--reproducible'], {
      cwd: root,
      input: `${files}\n`,
      maxBuffer: 512 << 20,
    });
    if (cpio.status !== 0) die(`cpio exited ${cpio.status}: ${cpio.stderr.toString().trim()}`);
    writeFileSync(join(out, 'initrd.cpio'), cpio.stdout);
    writeFileSync(
      join(out, 'manifest.json'),
      `${JSON.stringify({ key, kernel: kpkg, modules: mods.loaded, moduleFiles: mods.paths.length, programs: progs.map((p) => p.name) }, null, 2)}\n`,
    );
    writeFileSync(join(out, 'key'), `${key}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main() {
  const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'uvmkit');
  if (!existsSync(BUSYBOX))
    die(`${BUSYBOX} is missing: apt-get install -y --no-install-recommends busybox-static`);
  const kpkg = kernelPackage();
  const progs = guestPrograms();
  const h = createHash('sha256');
  h.update(`format ${FORMAT}\n`);
  h.update(`kernel ${kpkg.name} ${kpkg.version}\n`);
  h.update(`busybox ${sha256File(BUSYBOX)}\n`);
  h.update(`modules ${MODULES.join(' ')}\n`);
  h.update(`build ${sha256File(fileURLToPath(import.meta.url))}\n`);
  h.update(`init ${sha256File(join(here, 'init.sh'))}\n`);
  h.update(`uevent ${sha256File(join(here, 'uevent.sh'))}\n`);
  for (const p of progs) h.update(`prog ${p.name} ${p.sha}\n`);
  const key = h.digest('hex').slice(0, 16);
  const dir = process.env.UVMKIT_GUEST_DIR || join(cacheRoot, 'guest', key);
  const stamp = join(dir, 'key');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === key) {
    log(`reusing ${dir}`);
  } else {
    mkdirSync(dirname(dir), { recursive: true });
    log(`building ${dir} (${kpkg.name} ${kpkg.version}, ${progs.length} guest programs)`);
    build(dir, key, kpkg, progs, cacheRoot);
  }
  process.stdout.write(
    `${JSON.stringify({ kernel: join(dir, 'vmlinux'), initrd: join(dir, 'initrd.cpio') })}\n`,
  );
}

main();
