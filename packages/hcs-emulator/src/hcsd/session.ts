/**
 * The client side of hcsd's state: a connection's session, its handle tokens and the requests it
 * has in flight. Shared by the service, the state and inspection (kept apart from `service.ts` so
 * the hcsd modules do not import each other in a circle).
 */
import type { ComputeSystemRecord } from './system.js';

export interface Handle {
  readonly token: bigint;
  readonly system: ComputeSystemRecord;
  readonly client: ClientSession;
}

/** A request that has not been answered yet (delayed, queued behind its system, or in flight). */
export interface PendingRequest {
  readonly id: number;
  readonly method: number;
  readonly since: number;
  readonly token: bigint;
  /** Cancel it (HcsCancelOperation): it answers ERROR_CANCELLED unless it already settled. */
  cancel(): void;
}

export interface ClientSession {
  readonly clientId: number;
  /** A control-socket session: Inspect, Fault and Stop are served. */
  readonly control: boolean;
  name: string | undefined;
  pid: number | undefined;
  readonly handles: Map<bigint, Handle>;
  readonly pending: Map<number, PendingRequest>;
  closed: boolean;
  send(frame: Buffer): void;
}
