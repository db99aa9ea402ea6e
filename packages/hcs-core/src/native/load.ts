/**
 * Internal module (not a package export; not tagged internal: that would strip its imports).
 * Lazy, process-wide loading of the compute library. Nothing native (not even the koffi module)
 * is loaded until the first call that needs it.
 *
 * Where the library comes from:
 * - Windows: `computecore.dll`, and `LocalFree` from `kernel32.dll`.
 * - elsewhere: `$UVMKIT_HCS_LIBRARY` when set, else the `@uvmkit/hcs-emulator` shim
 *   (`shimLibraryPath()`, an optional peer) when that package is installed; `LocalFree` from the
 *   same library.
 * When nothing loads, the `LibraryNotFound` error lists every place tried and why it failed.
 */
import { existsSync } from 'node:fs';
import { HcsError, LocalCode } from '../errors.js';
import { setShimSocketPath } from '../service-hint.js';
import { CORE_VERSION } from '../version.js';
import { BlockingRunner } from './blocking.js';
import type {
  BlockingExport,
  ComputecoreExports,
  ExportName,
  NativeFunction,
  NativeTypes,
  Pointer,
} from './computecore.js';

/** The loaded library and everything the bindings need from it. */
export interface Native {
  readonly libraryPath: string;
  readonly cc: ComputecoreExports;
  readonly raw: Readonly<Record<ExportName, NativeFunction>>;
  readonly available: ReadonlySet<ExportName>;
  readonly missing: readonly ExportName[];
  readonly types: NativeTypes;
  /** Decode a UTF-16 result string and free it with LocalFree; `undefined` for NULL. */
  takeString(p: Pointer | null | undefined): string | undefined;
  /** Decode the HCS_EVENT at `p`. */
  decodeEvent(p: Pointer): { Type: number; EventData: string | null; Operation: Pointer | null };
  register(fn: (...args: never[]) => void, type: NativeTypes['completionPointer']): bigint;
  /** Call a blocking export on the libuv pool (the bindings use `blocking` instead). */
  callAsync<R>(name: BlockingExport, ...args: unknown[]): Promise<R>;
  /** The blocking exports on hcs-core's own worker threads (never the libuv pool). */
  readonly blocking: BlockingRunner;
}

/** One copy of hcs-core that loaded the native library in this process. */
export interface CoreCopy {
  readonly version: string;
  /** The module URL of that copy's loader. */
  readonly url: string;
}

const COPIES: unique symbol = Symbol.for('uvmkit.hcs-core.copies') as never;

/**
 * Every copy of hcs-core that has loaded the native library in this process (recorded at first
 * native use, never at import). More than one means duplicate installs: UtilityVM.create/open
 * log a warning; koffi types are shared, but plugins installed on one copy's UtilityVM are not
 * visible on the other's.
 */
export function coreCopies(): readonly CoreCopy[] {
  return (globalThis as { [COPIES]?: CoreCopy[] })[COPIES] ?? [];
}

function recordCopy(version: string): void {
  const g = globalThis as { [COPIES]?: CoreCopy[] };
  const list = g[COPIES] ?? [];
  if (g[COPIES] === undefined) Object.defineProperty(g, COPIES, { value: list, enumerable: false });
  if (!list.some((c) => c.url === import.meta.url)) list.push({ version, url: import.meta.url });
}

/** Environment variable naming the library to load (non-Windows). */
export const LIBRARY_ENV = 'UVMKIT_HCS_LIBRARY';

let pending: Promise<Native> | undefined;
let loaded: Native | undefined;

/** The loaded library, or `undefined` before the first successful {@link loadNative}. */
export function loadedNative(): Native | undefined {
  return loaded;
}

/** Load (once) and return the compute library. Concurrent callers share one load. */
export function loadNative(): Promise<Native> {
  if (loaded !== undefined) return Promise.resolve(loaded);
  pending ??= doLoad().then(
    (n) => {
      loaded = n;
      recordCopy(CORE_VERSION);
      return n;
    },
    (err: unknown) => {
      pending = undefined; // allow a retry (e.g. after setting UVMKIT_HCS_LIBRARY)
      throw err;
    },
  );
  return pending;
}

/**
 * The emulator's shim reports the hcsd endpoint it tried (its `UvmkitShimSocketPath` export); a
 * library without it is not the shim, and the hint falls back to the derived path.
 */
function shimSocketPathOf(lib: { func(decl: string): unknown }): (() => string) | undefined {
  try {
    return lib.func('const char *UvmkitShimSocketPath(void)') as () => string;
  } catch {
    return undefined;
  }
}

async function doLoad(): Promise<Native> {
  const { default: koffi } = await import('koffi');
  const cc = await import('./computecore.js');
  const tried: string[] = [];
  let lib: ReturnType<typeof koffi.load> | undefined;
  let libraryPath = '';
  let freeLib: ReturnType<typeof koffi.load> | undefined;

  const attempt = (path: string, where: string): boolean => {
    if (path.includes('/') && !existsSync(path)) {
      tried.push(`${where}: ${path} (no such file)`);
      return false;
    }
    try {
      lib = koffi.load(path);
      libraryPath = path;
      return true;
    } catch (err) {
      tried.push(`${where}: ${path} (${(err as Error).message})`);
      return false;
    }
  };

  if (process.platform === 'win32') {
    if (attempt('computecore.dll', 'system')) {
      try {
        freeLib = koffi.load('kernel32.dll');
      } catch (err) {
        tried.push(`system: kernel32.dll (${(err as Error).message})`);
        lib = undefined;
      }
    }
  } else {
    const fromEnv = process.env[LIBRARY_ENV];
    if (fromEnv !== undefined && fromEnv !== '') {
      attempt(fromEnv, `$${LIBRARY_ENV}`);
    } else {
      tried.push(`$${LIBRARY_ENV}: not set`);
      const specifier = '@uvmkit/hcs-emulator';
      let shimPath: string | undefined;
      try {
        const emulator = (await import(specifier)) as { shimLibraryPath?: () => string };
        shimPath = emulator.shimLibraryPath?.();
        if (shimPath === undefined) tried.push(`${specifier}: no shimLibraryPath export`);
      } catch (err) {
        tried.push(`${specifier}: not installed (${(err as Error).message.split('\n')[0]})`);
      }
      if (shimPath !== undefined) attempt(shimPath, `${specifier} shimLibraryPath()`);
    }
    freeLib = lib;
  }
  if (lib === undefined || freeLib === undefined) {
    throw new HcsError(
      LocalCode.LibraryNotFound,
      `no compute library could be loaded; tried:\n  - ${tried.join('\n  - ')}`,
      { op: 'load' },
    );
  }

  let localFree: (p: Pointer) => unknown;
  try {
    localFree = freeLib.func('void *LocalFree(void *hMem)') as (p: Pointer) => unknown;
  } catch (err) {
    throw new HcsError(
      LocalCode.LibraryNotFound,
      `${libraryPath} loaded but LocalFree is missing (${(err as Error).message})`,
      { op: 'load' },
    );
  }

  const types = cc.declareTypes();
  const declared = cc.declareExports(lib);
  if (process.platform !== 'win32') setShimSocketPath(shimSocketPathOf(lib));
  return {
    libraryPath,
    cc: declared.exports,
    raw: declared.raw,
    available: declared.available,
    missing: declared.missing,
    types,
    takeString(p) {
      if (p === null || p === undefined || p === 0n) return undefined;
      try {
        return koffi.decode(p, 'char16_t', -1) as string;
      } finally {
        localFree(p);
      }
    },
    decodeEvent(p) {
      return koffi.decode(p, types.event) as {
        Type: number;
        EventData: string | null;
        Operation: Pointer | null;
      };
    },
    register(fn, type) {
      return koffi.register(fn, type);
    },
    callAsync<R>(name: BlockingExport, ...args: unknown[]) {
      return cc.callAsync<R>(declared.raw[name], ...args);
    },
    blocking: new BlockingRunner({
      library: libraryPath,
      freeLibrary: process.platform === 'win32' ? 'kernel32.dll' : libraryPath,
    }),
  };
}
