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

/** Absolute path of the built shim `dist/native/libcomputecore.so`. */
export function shimLibraryPath(): string {
  return resolveBuilt('native/libcomputecore.so');
}

/** Absolute path of the built daemon entry `dist/hcsd/cli.js`. */
export function hcsdCliPath(): string {
  return resolveBuilt('hcsd/cli.js');
}

/** Absolute path of hcsd's peer-credential helper `dist/native/uvmkit-peercred`. */
export function peercredHelperPath(): string {
  return resolveBuilt('native/uvmkit-peercred');
}
