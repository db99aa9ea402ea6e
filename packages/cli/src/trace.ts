/**
 * `--trace`: print every HCS call, Modify, guest request and VM state change on stderr as it
 * happens, from hcs-core's diagnostics channels (one line per start and per end; JSON lines with
 * `--json`).
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { Writable } from 'node:stream';
import { type TraceContext, TracingChannels, VM_STATE_CHANNEL, type VmStateMessage } from '@uvmkit/hcs-core';

const hex = (hr: number): string => `0x${(hr >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

function describe(ctx: TraceContext): string {
  const parts = [ctx.operation];
  if (ctx.vmId !== undefined) parts.push(`vm=${ctx.vmId}`);
  if (ctx.requestType !== undefined) parts.push(`request=${ctx.requestType}`);
  if (ctx.resourcePath !== undefined) parts.push(`resource=${ctx.resourcePath}`);
  return parts.join(' ');
}

/** Subscribe; returns the function that unsubscribes. */
export function startTrace(stream: Writable, json: boolean): () => void {
  const out = (line: string): void => {
    stream.write(`${line}\n`);
  };
  const record = (event: string, ctx: TraceContext): Record<string, unknown> => ({
    trace: event,
    channel: ctx.kind,
    operation: ctx.operation,
    vmId: ctx.vmId,
    resourcePath: ctx.resourcePath,
    requestType: ctx.requestType,
    ...(event === 'end'
      ? {
          durationMs: ctx.duration,
          hresult: ctx.hresult === undefined ? undefined : hex(ctx.hresult),
          errorCode: ctx.errorCode,
        }
      : {}),
  });
  const undo: (() => void)[] = [];
  for (const name of Object.values(TracingChannels)) {
    const ch = tracingChannel<object, TraceContext>(name);
    const handlers = {
      start: (ctx: TraceContext) =>
        out(json ? JSON.stringify(record('start', ctx)) : `trace: → ${describe(ctx)}`),
      asyncEnd: (ctx: TraceContext) => {
        if (json) return out(JSON.stringify(record('end', ctx)));
        const ms = ctx.duration === undefined ? '' : ` ${ctx.duration.toFixed(1)} ms`;
        const hr = ctx.hresult === undefined ? '' : ` ${hex(ctx.hresult)}`;
        const mark = ctx.errorCode === undefined && ctx.error === undefined ? '←' : '✗';
        const code = ctx.errorCode === undefined ? '' : ` ${ctx.errorCode}`;
        out(`trace: ${mark} ${describe(ctx)}${hr}${code}${ms}`);
      },
    };
    ch.subscribe(handlers as never);
    undo.push(() => ch.unsubscribe(handlers as never));
  }
  const state = channel(VM_STATE_CHANNEL);
  const onState = (m: unknown): void => {
    const s = m as VmStateMessage;
    out(
      json
        ? JSON.stringify({ trace: 'state', ...s })
        : `trace: state vm=${s.vmId} ${s.state} (${s.cause}${s.exitType === undefined ? '' : `, ${s.exitType}`})`,
    );
  };
  state.subscribe(onState);
  undo.push(() => state.unsubscribe(onState));
  return () => {
    for (const u of undo) u();
  };
}
