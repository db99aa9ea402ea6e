#!/usr/bin/env node
/**
 * Builds the C shim `dist/native/libcomputecore.so` from native/*.c, and hcsd's peer-credential
 * helper `dist/native/uvmkit-peercred` from native/peercred/peercred.c.
 *
 *   node scripts/build-native.mjs            # the shared library
 *   node scripts/build-native.mjs --tests    # + dist/native/shim-test (ASan+UBSan, shim sources linked in)
 *   node scripts/build-native.mjs --bench    # + dist/native/c-client (bench/c-client.c, -O2 against the .so)
 *   node scripts/build-native.mjs --dll      # only dist/native/computecore.dll (mingw-w64, for Wine)
 *   node scripts/build-native.mjs --prebuilds  # prebuilds/linux-{x64,arm64}/{libcomputecore.so,uvmkit-peercred} (run at prepack)
 *
 * Compiler: $CC, default `cc`; for the DLL $MINGW_CC, default `x86_64-w64-mingw32-gcc`. The same
 * sources build both (platform_posix.c / platform_win.c hold what differs). On Windows the native
 * build is skipped (computecore.dll is real there).
 * Also importable: `buildShim()`, `buildPeercred()`, `buildDll()`, `buildTests()`, `buildBench()`,
 * `buildPrebuilds()` return the output paths.
 *
 * Prebuilds: the published tarball ships `prebuilds/linux-x64` and `prebuilds/linux-arm64`
 * (`aarch64-linux-gnu-gcc`, Debian's gcc-aarch64-linux-gnu, or $CC_ARM64; `x86_64-linux-gnu-gcc` or
 * $CC_X64 when packing on arm64) and the C sources; `scripts/install.mjs` builds on install when no
 * prebuilt matches the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(pkg, 'native');
const outDir = join(pkg, 'dist', 'native');

export const WARNINGS = ['-std=c11', '-Wall', '-Wextra', '-Werror'];
export const SANITIZE = ['-fsanitize=address,undefined', '-fno-omit-frame-pointer'];

function cc() {
  return process.env.CC ?? 'cc';
}

/** Compilers for the prebuilt targets: the host's `cc` for its own arch, a cross gcc for the other. */
export const PREBUILD_TARGETS = {
  x64: { cross: 'x86_64-linux-gnu-gcc', env: 'CC_X64' },
  arm64: { cross: 'aarch64-linux-gnu-gcc', env: 'CC_ARM64' },
};

function sources() {
  return readdirSync(nativeDir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(nativeDir, f));
}

function run(args, compiler = cc()) {
  try {
    execFileSync(compiler, args, { stdio: 'inherit' });
  } catch (e) {
    if (e.code === 'ENOENT') {
      const err = new Error(`build-native: no C compiler: ${compiler} was not found`);
      err.code = 'NoCompiler';
      throw err;
    }
    throw new Error(
      `build-native: ${compiler} failed (${e.status ?? e.code}); see the compiler output above`,
    );
  }
}

/** The `Hcs*` functions computecore.h declares (computecore.dll exports these and UvmkitShimSocketPath). */
export function hcsExports() {
  const header = readFileSync(join(nativeDir, 'computecore.h'), 'utf8');
  return [...new Set([...header.matchAll(/\b(Hcs[A-Za-z]+)\s*\(/g)].map((m) => m[1]))].sort();
}

/**
 * Build dist/native/computecore.dll with mingw-w64 (x86-64, winpthreads linked statically, so it
 * imports only KERNEL32, msvcrt and WS2_32); its .def exports exactly `hcsExports()` plus the
 * emulator-only `UvmkitShimSocketPath`. Returns its path.
 */
export function buildDll() {
  mkdirSync(outDir, { recursive: true });
  const def = join(outDir, 'computecore.def');
  writeFileSync(
    def,
    `LIBRARY computecore.dll\nEXPORTS\n${[...hcsExports(), 'UvmkitShimSocketPath']
      .map((n) => `  ${n}\n`)
      .join('')}`,
  );
  const out = join(outDir, 'computecore.dll');
  run(
    [
      ...WARNINGS,
      '-O2',
      '-shared',
      '-D_POSIX_C_SOURCE=200809L',
      ...sources(),
      def,
      '-o',
      out,
      '-static-libgcc',
      '-Wl,-Bstatic',
      '-lpthread',
      '-Wl,-Bdynamic',
      '-lws2_32',
    ],
    process.env.MINGW_CC ?? 'x86_64-w64-mingw32-gcc',
  );
  return out;
}

/** The flags of the shared library (every build of it: local, install-time, prebuilt). */
function shimArgs(out) {
  return [
    ...WARNINGS,
    '-O2',
    '-fPIC',
    '-shared',
    '-pthread',
    '-fvisibility=hidden',
    // The shim's reader and dispatcher threads live as long as the process. Never unmap the code
    // they run: Node unloads native libraries while it tears the isolate down at exit, and an
    // unloaded shim with a thread still inside it is a SIGSEGV at exit.
    '-Wl,-z,nodelete',
    '-D_GNU_SOURCE',
    ...sources(),
    '-o',
    out,
  ];
}

/** Build dist/native/libcomputecore.so (with $CC, default `cc`); returns its path. */
export function buildShim() {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'libcomputecore.so');
  run(shimArgs(out));
  return out;
}

/** The newest `GLIBC_x.y` symbol version a shared library references (what it needs at run time). */
export function glibcRequirement(file) {
  const text = readFileSync(file).toString('latin1');
  let best = [2, 0];
  for (const m of text.matchAll(/GLIBC_(\d+)\.(\d+)/g)) {
    const v = [Number(m[1]), Number(m[2])];
    if (v[0] > best[0] || (v[0] === best[0] && v[1] > best[1])) best = v;
  }
  return best.join('.');
}

/**
 * Build `<root>/linux-<arch>/libcomputecore.so` (+ `glibc.txt`) for x64 and arm64; returns their
 * paths. `root` defaults to `$UVMKIT_PREBUILDS_DIR`, else the package's `prebuilds/`.
 */
export function buildPrebuilds(root = process.env.UVMKIT_PREBUILDS_DIR ?? join(pkg, 'prebuilds')) {
  const outs = [];
  for (const [arch, t] of Object.entries(PREBUILD_TARGETS)) {
    const dir = join(root, `linux-${arch}`);
    mkdirSync(dir, { recursive: true });
    const out = join(dir, 'libcomputecore.so');
    const compiler = process.env[t.env] ?? (process.arch === arch ? cc() : t.cross);
    run(shimArgs(out), compiler);
    const helper = join(dir, 'uvmkit-peercred');
    run(peercredArgs(helper), compiler);
    // The newer of the two requirements: the install script checks one number per directory.
    const [a, b] = [glibcRequirement(out), glibcRequirement(helper)];
    const newer = a.split('.').map(Number)[1] >= b.split('.').map(Number)[1] ? a : b;
    writeFileSync(join(dir, 'glibc.txt'), `${newer}\n`);
    outs.push(out, helper);
  }
  return outs;
}

/** The flags of hcsd's peer-credential helper (every build of it). */
function peercredArgs(out) {
  return [...WARNINGS, '-O2', '-D_GNU_SOURCE', join(nativeDir, 'peercred', 'peercred.c'), '-o', out];
}

/** Build dist/native/uvmkit-peercred (hcsd's SO_PEERCRED helper); returns its path. */
export function buildPeercred() {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'uvmkit-peercred');
  run(peercredArgs(out));
  return out;
}

/** Build the sanitizer test program(s) from test/native/*.c with the shim sources; returns the binary path. */
export function buildTests() {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'shim-test');
  const testDir = join(pkg, 'test', 'native');
  const tests = readdirSync(testDir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(testDir, f));
  run([
    ...WARNINGS,
    '-O1',
    '-g',
    '-pthread',
    '-fvisibility=hidden',
    '-D_GNU_SOURCE',
    ...SANITIZE,
    `-I${nativeDir}`,
    ...sources(),
    ...tests,
    '-o',
    out,
  ]);
  return out;
}

/** Build bench/c-client.c against the shared library; returns the binary path. */
export function buildBench() {
  const lib = buildShim();
  const out = join(outDir, 'c-client');
  run([
    ...WARNINGS,
    '-O2',
    '-pthread',
    '-D_GNU_SOURCE',
    `-I${nativeDir}`,
    join(pkg, 'bench', 'c-client.c'),
    lib,
    `-Wl,-rpath,${outDir}`,
    '-lm',
    '-o',
    out,
  ]);
  return out;
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  if (process.platform === 'win32') {
    console.log('build-native: skipped on Windows (the real computecore.dll is used there)');
  } else {
    const args = new Set(process.argv.slice(2));
    try {
      if (args.has('--dll')) {
        console.log(`build-native: ${buildDll()}`);
        process.exit(0);
      }
      if (args.has('--prebuilds')) {
        for (const out of buildPrebuilds()) console.log(`build-native: ${out}`);
        process.exit(0);
      }
      console.log(`build-native: ${buildShim()}`);
      console.log(`build-native: ${buildPeercred()}`);
      if (args.has('--tests')) console.log(`build-native: ${buildTests()}`);
      if (args.has('--bench')) console.log(`build-native: ${buildBench()}`);
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    }
  }
}
