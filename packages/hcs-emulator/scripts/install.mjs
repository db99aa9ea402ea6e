#!/usr/bin/env node
/**
 * `postinstall` of the published package: make sure a `libcomputecore.so` that loads on this
 * machine exists.
 *
 * - Windows: nothing to do (the real computecore.dll is used).
 * - A prebuilt for this platform and arch (`prebuilds/linux-x64`, `prebuilds/linux-arm64`) whose
 *   glibc requirement this machine meets: used as is (its `uvmkit-peercred` made executable).
 * - Otherwise (another arch, an older glibc, musl): build `dist/native/libcomputecore.so` and hcsd's
 *   helper `dist/native/uvmkit-peercred` from the shipped C sources (`native/`) with $CC (default `cc`). Without a compiler the install fails
 *   with a message saying what to install.
 * - In the repository checkout (there is a `test/` directory) nothing happens: `pnpm build` builds it.
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

function glibcRuntime() {
  const header = process.report?.getReport?.().header;
  return header?.glibcVersionRuntime; // undefined on musl
}

function atLeast(have, need) {
  const [a = 0, b = 0] = String(have).split('.').map(Number);
  const [c = 0, d = 0] = String(need).split('.').map(Number);
  return a > c || (a === c && b >= d);
}

/** Why the prebuilt for this machine cannot be used, or `undefined` when it can. */
export function prebuiltMismatch(platform = process.platform, arch = process.arch, glibc = glibcRuntime()) {
  const file = join(pkg, 'prebuilds', `${platform}-${arch}`, 'libcomputecore.so');
  if (!existsSync(file)) return `no prebuilt for ${platform}-${arch}`;
  if (glibc === undefined) return 'not a glibc system (the prebuilts link against glibc)';
  // glibc.txt: the newest GLIBC_x.y symbol version the prebuilt references (written at prepack).
  const need = readFileSync(join(dirname(file), 'glibc.txt'), 'utf8').trim();
  if (!atLeast(glibc, need)) return `the prebuilt needs glibc ${need}, this machine has ${glibc}`;
  return undefined;
}

async function main() {
  if (process.platform === 'win32') return;
  if (existsSync(join(pkg, 'test'))) return; // the repository checkout: `pnpm build` builds the shim
  const why = prebuiltMismatch();
  if (why === undefined) {
    // Packing and unpacking do not keep every mode bit: hcsd spawns the helper, so it must be executable.
    const helper = join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, 'uvmkit-peercred');
    if (existsSync(helper)) chmodSync(helper, 0o755);
    return;
  }
  const { buildPeercred, buildShim } = await import('./build-native.mjs');
  try {
    const out = buildShim();
    const helper = buildPeercred();
    console.log(`@uvmkit/hcs-emulator: ${why}; built ${out} and ${helper} from native/`);
  } catch (err) {
    const cc = process.env.CC ?? 'cc';
    const detail = err?.code === 'NoCompiler' ? `no C compiler (${cc}) was found` : err.message;
    console.error(
      `@uvmkit/hcs-emulator: ${why}, so libcomputecore.so must be built from the shipped C sources, but ${detail}.\n` +
        '  Install a C11 compiler and the C library headers (Debian/Ubuntu: apt-get install gcc libc6-dev;\n' +
        '  Alpine: apk add build-base) or point $CC at one, then run: npm rebuild @uvmkit/hcs-emulator',
    );
    process.exitCode = 1;
  }
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) await main();
