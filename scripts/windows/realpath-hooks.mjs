/** realpath-hooks.mjs — the ESM resolve hook of realpath-preload.mjs (runs on the hooks thread). */
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (!result.url.startsWith('file:')) return result;
  let real;
  try {
    const path = fileURLToPath(result.url);
    real = fs.realpathSync.native(path);
    if (real === path) return result;
  } catch {
    return result;
  }
  return { ...result, url: pathToFileURL(real).href };
}
