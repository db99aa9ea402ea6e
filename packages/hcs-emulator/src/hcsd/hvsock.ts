/**
 * HvSocket addressing under the emulator: (VM id, service id) → a Unix stream socket at
 * `<dir>/<vmId>-<serviceId>.sock` (lower-case bare GUIDs), `<dir>` = `$UVMKIT_HVSOCK_DIR` or
 * `<runtimeDir>/hvsock`. The host listens there; the emulated guest dials. The rule's one home is
 * `@uvmkit/hcs-schema` (emulator-paths.ts), shared with hcs-core; these are hcsd's spellings.
 */
import { hvsocketDir, hvsocketPathIn } from '@uvmkit/hcs-schema';

/** The directory of emulated HvSocket endpoints (`hvsocketDir` of `@uvmkit/hcs-schema`). */
export function hvsockDir(env: NodeJS.ProcessEnv = process.env): string {
  return hvsocketDir(env);
}

/** The Unix socket path of (`vmId`, `serviceId`) (`hvsocketPathIn` of `@uvmkit/hcs-schema`). */
export function hvsockPath(vmId: string, serviceId: string, env: NodeJS.ProcessEnv = process.env): string {
  return hvsocketPathIn(vmId, serviceId, hvsocketDir(env));
}
