/**
 * GUID strings as HCS writes them: bare `8-4-4-4-12` hex digits, no braces. Matching is
 * case-insensitive; path builders normalise to lower case (what hcsshim's guid.String() emits).
 */

/** Source of the GUID pattern used in schemas (bare form, either case). */
export const GUID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';

const GUID_RE = new RegExp(GUID_PATTERN);

/** True for a bare GUID string (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex, any case). Braced forms are rejected. */
export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID_RE.test(value);
}

/** The null GUID; as a CpuGroup `Id` it removes a VM from its CPU group. */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

/**
 * The four SCSI controller keys HCS/hcsshim use, index = controller number (UUIDv5 of "0".."3"
 * in namespace d422512d-2bf2-4752-809d-7b82b5fcb1b4).
 */
export const ScsiControllerGuids = [
  'df6d0690-79e5-55b6-a5ec-c1e2f77f580a',
  '0110f83b-de10-5172-a266-78bca56bf50a',
  'b5d2d8d4-3a75-51bf-945b-3444dc6b8579',
  '305891a9-b251-5dfe-91a2-c25d9212275b',
] as const;

/** Controller number (0..3) of a SCSI controller key, compared case-insensitively; `undefined` if it is none of `ScsiControllerGuids`. */
export function scsiControllerIndex(key: string): 0 | 1 | 2 | 3 | undefined {
  if (typeof key !== 'string') return undefined;
  const i = (ScsiControllerGuids as readonly string[]).indexOf(key.toLowerCase());
  return i === -1 ? undefined : (i as 0 | 1 | 2 | 3);
}
