/**
 * realpath-preload.mjs — `--import` preload for Windows Node under Wine (tests only).
 *
 * Wine shows Linux symlinks to Windows programs as plain directories, so Node's JS realpath
 * (used by the CJS loader, vite's resolver and the ESM resolver) never follows pnpm's links:
 * a package loads from its link path, its own dependencies (koffi's prebuilt, rolldown's
 * binding) are not found next to it, and a package reached through two links loads twice.
 * `fs.realpathSync.native` (GetFinalPathNameByHandleW) does resolve them. This preload makes
 * every realpath go through it and adds an ESM resolve hook that does the same to each resolved
 * file URL. Installed by scripts/test-windows.sh through NODE_OPTIONS.
 */
import fs from 'node:fs';
import { register } from 'node:module';

const nativeSync = fs.realpathSync.native;
const nativeAsync = fs.realpath.native;

function realpathSync(path, options) {
  return nativeSync(path, options);
}
realpathSync.native = nativeSync;
function realpath(path, options, callback) {
  return nativeAsync(path, options, callback);
}
realpath.native = nativeAsync;
fs.realpathSync = realpathSync;
fs.realpath = realpath;
fs.promises.realpath = (path, options) =>
  new Promise((resolve, reject) => nativeAsync(path, options, (e, p) => (e ? reject(e) : resolve(p))));

register(new URL('./realpath-hooks.mjs', import.meta.url));
