/** The NegotiateProtocol answer (gcs-protocol.md §4.4), as the host records it. */
import { BridgeProtocolError, ProtocolViolation } from './errors.js';

/** Capabilities exactly as the guest sent them. */
export interface GcsCapabilitiesDocument {
  readonly SendHostCreateMessage?: boolean;
  readonly SendHostStartMessage?: boolean;
  readonly HvSocketConfigOnStartup?: boolean;
  readonly SendLifecycleNotifications?: boolean;
  readonly ModifyServiceSettingsSupported?: boolean;
  readonly SupportedSchemaVersions?: readonly { Major: number; Minor: number }[];
  readonly RuntimeOsType?: string;
  readonly GuestDefinedCapabilities: Record<string, unknown> | null;
}

/** What `Guest.capabilities()` returns. */
export interface GuestCapabilities {
  /** The negotiated protocol version (always 4). */
  readonly protocolVersion: number;
  /** `RuntimeOsType` lower-cased; an empty or absent value means `'windows'`. */
  readonly os: string;
  readonly sendHostCreateMessage: boolean;
  readonly sendHostStartMessage: boolean;
  readonly hvSocketConfigOnStartup: boolean;
  readonly supportedSchemaVersions: readonly { Major: number; Minor: number }[];
  /** LCOW: NamespaceAddRequestSupported, SignalProcessSupported, DumpStacksSupported, DeleteContainerStateSupported; WCOW adds more. */
  readonly guestDefined: Readonly<Record<string, unknown>> | null;
  /** The whole `Capabilities` object. */
  readonly raw: GcsCapabilitiesDocument;
}

/** Parse a NegotiateProtocol response; a version other than 4 or missing capabilities is a protocol error. */
export function parseNegotiateResponse(response: Record<string, unknown>): GuestCapabilities {
  const version = response.Version;
  if (version !== 4) {
    throw new BridgeProtocolError(
      ProtocolViolation.NegotiationFailed,
      `the guest answered NegotiateProtocol with Version ${JSON.stringify(version)}, expected 4`,
    );
  }
  const caps = response.Capabilities;
  if (typeof caps !== 'object' || caps === null || Array.isArray(caps)) {
    throw new BridgeProtocolError(
      ProtocolViolation.NegotiationFailed,
      'the NegotiateProtocol response has no Capabilities object',
    );
  }
  const c = caps as Record<string, unknown>;
  if (!('GuestDefinedCapabilities' in c)) {
    throw new BridgeProtocolError(
      ProtocolViolation.NegotiationFailed,
      'Capabilities.GuestDefinedCapabilities is absent (it must be an object or null)',
    );
  }
  const gd = c.GuestDefinedCapabilities;
  if (gd !== null && (typeof gd !== 'object' || Array.isArray(gd))) {
    throw new BridgeProtocolError(
      ProtocolViolation.NegotiationFailed,
      'Capabilities.GuestDefinedCapabilities is not an object or null',
    );
  }
  const flag = (k: string): boolean => c[k] === true;
  const os =
    typeof c.RuntimeOsType === 'string' && c.RuntimeOsType !== '' ? c.RuntimeOsType.toLowerCase() : 'windows';
  const schemas = Array.isArray(c.SupportedSchemaVersions)
    ? (c.SupportedSchemaVersions as { Major: number; Minor: number }[])
    : [];
  return Object.freeze({
    protocolVersion: 4,
    os,
    sendHostCreateMessage: flag('SendHostCreateMessage'),
    sendHostStartMessage: flag('SendHostStartMessage'),
    hvSocketConfigOnStartup: flag('HvSocketConfigOnStartup'),
    supportedSchemaVersions: schemas,
    guestDefined: gd as Record<string, unknown> | null,
    raw: c as unknown as GcsCapabilitiesDocument,
  });
}
