#!/usr/bin/env node
/**
 * Builds the C shim `dist/native/libcomputecore.so` from native/*.c, and hcsd's peer-credential
 * helper `dist/native/uvmkit-peercred` from native/peercred/peercred.c.
 *
 *   node scripts/build-native.mjs            # the shared library
 *   node scripts/build-native.mjs --tests    # + dist/native/shim-test (ASan+UBSan, shim sources linked in)
 *   node scripts/build-native.mjs --bench    # + dist/native/c-client (bench/c-client.c, -O2 against the .so)
 *   node scripts/build-native.mjs --dll      # only dist/native/computecore.dll (mingw-w64, for Wine)
 *
 * Compiler: $CC, default `cc`; for the DLL $MINGW_CC, default `x86_64-w64-mingw32-gcc`. The same
 * sources build both (platform_posix.c / platform_win.c hold what differs). On Windows the native
 * build is skipped (computecore.dll is real there).
 * Also importable: `buildShim()`, `buildDll()`, `buildTests()`, `buildBench()` return the output paths.
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
    throw new Error(
      `build-native: ${compiler} failed (${e.status ?? e.code}); see the compiler output above`,
    );
  }
}

/** The `Hcs*` functions computecore.h declares: exactly what computecore.dll exports. */
export function hcsExports() {
  const header = readFileSync(join(nativeDir, 'computecore.h'), 'utf8');
  return [...new Set([...header.matchAll(/\b(Hcs[A-Za-z]+)\s*\(/g)].map((m) => m[1]))].sort();
}

/**
 * Build dist/native/computecore.dll with mingw-w64 (x86-64, winpthreads linked statically, so it
 * imports only KERNEL32, msvcrt and WS2_32); its .def exports exactly `hcsExports()`. Returns its path.
 */
export function buildDll() {
  mkdirSync(outDir, { recursive: true });
  const def = join(outDir, 'computecore.def');
  writeFileSync(
    def,
    `LIBRARY computecore.dll\nEXPORTS\n${hcsExports()
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

/** Build dist/native/libcomputecore.so; returns its path. */
export function buildShim() {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'libcomputecore.so');
  run([
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
  ]);
  return out;
}

/** Build dist/native/uvmkit-peercred (hcsd's SO_PEERCRED helper); returns its path. */
export function buildPeercred() {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'uvmkit-peercred');
  run([...WARNINGS, '-O2', '-D_GNU_SOURCE', join(nativeDir, 'peercred', 'peercred.c'), '-o', out]);
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
