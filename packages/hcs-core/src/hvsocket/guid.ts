/**
 * GUID text ⇄ bytes for HvSocket addresses.
 *
 * A Windows `GUID` is `{ u32 Data1; u16 Data2; u16 Data3; u8 Data4[8] }` in host (little-endian)
 * order, so its 16 bytes are "mixed-endian": the first three groups of the text form are
 * byte-reversed, the last two are copied as written.
 */
import { invalidArgument } from '../errors.js';

const GUID_RE =
  /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;

/** Whether `value` is a GUID in 8-4-4-4-12 form (braces allowed, any case). */
export function isGuid(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = GUID_RE.exec(value);
  return m !== null && value.startsWith('{') === value.endsWith('}');
}

/**
 * The bare lower-case 8-4-4-4-12 form of a GUID (braces stripped). Throws `InvalidArgument`
 * naming `argument` when `value` is not a GUID.
 */
export function normalizeGuid(value: unknown, argument = 'guid', op = 'hvsocket'): string {
  if (!isGuid(value)) {
    throw invalidArgument(op, `${argument} must be a GUID (8-4-4-4-12 hex), got ${JSON.stringify(value)}`);
  }
  return value.replace(/[{}]/g, '').toLowerCase();
}

/** The 16 bytes of a GUID in Windows memory order (Data1..Data3 little-endian). */
export function guidToBytes(guid: string): Buffer {
  const g = normalizeGuid(guid);
  const hex = g.replace(/-/g, '');
  const out = Buffer.from(hex, 'hex');
  out.writeUInt32LE(Number.parseInt(hex.slice(0, 8), 16), 0);
  out.writeUInt16LE(Number.parseInt(hex.slice(8, 12), 16), 4);
  out.writeUInt16LE(Number.parseInt(hex.slice(12, 16), 16), 6);
  return out;
}

/** The inverse of {@link guidToBytes}: lower-case 8-4-4-4-12 text of 16 bytes in Windows order. */
export function guidFromBytes(bytes: Uint8Array, offset = 0): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 16);
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  const tail = b.subarray(8, 16).toString('hex');
  return `${h(b.readUInt32LE(0), 8)}-${h(b.readUInt16LE(4), 4)}-${h(b.readUInt16LE(6), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}
