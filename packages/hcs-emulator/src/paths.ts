/** Where the package's built artefacts live, resolved from this module's location. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** From dist/*.js the artefact is a sibling; from src/*.ts (tests) it is under ../dist. */
function resolveBuilt(relative: string): string {
  const sibling = fileURLToPath(new URL(`./${relative}`, import.meta.url));
  if (existsSync(sibling)) return sibling;
  if (!import.meta.url.includes('/src/')) return sibling;
  return fileURLToPath(new URL(`../dist/${relative}`, import.meta.url));
}

/**
 * Absolute path of the shim: `dist/native/libcomputecore.so` when it was built here (the
 * repository build, or the install script on a machine no prebuilt matches), else the published
 * prebuilt for this machine, `prebuilds/<platform>-<arch>/libcomputecore.so`.
 */
export function shimLibraryPath(): string {
  return builtOrPrebuilt('libcomputecore.so');
}

/** `dist/native/<name>` when it was built here, else `prebuilds/<platform>-<arch>/<name>`. */
function builtOrPrebuilt(name: string): string {
  const built = resolveBuilt(`native/${name}`);
  if (existsSync(built)) return built;
  const prebuilt = fileURLToPath(
    new URL(`../prebuilds/${process.platform}-${process.arch}/${name}`, import.meta.url),
  );
  return existsSync(prebuilt) ? prebuilt : built;
}

/** Absolute path of the built daemon entry `dist/hcsd/cli.js`. */
export function hcsdCliPath(): string {
  return resolveBuilt('hcsd/cli.js');
}

/**
 * Absolute path of hcsd's peer-credential helper: `dist/native/uvmkit-peercred` when built here,
 * else the published prebuilt `prebuilds/<platform>-<arch>/uvmkit-peercred`.
 */
export function peercredHelperPath(): string {
  return builtOrPrebuilt('uvmkit-peercred');
}
