/**
 * @packageDocumentation
 * `@uvmkit/opentelemetry` — turns uvmkit's `node:diagnostics_channel` tracing (hcs-core's
 * {@link TracingChannels}: every HCS call, Modify and guest request, and VM state changes) into
 * OpenTelemetry spans. `@opentelemetry/api` is a peer dependency; no core package depends on
 * OpenTelemetry.
 *
 * Spans nest: a call made while another is in flight (the `HcsModifyComputeSystem` inside a
 * `UtilityVM.modify`) is its child, and the outermost call is a child of the caller's active span
 * (`context.active()`, e.g. from `tracer.startActiveSpan`). Nesting among uvmkit's own calls uses
 * this package's AsyncLocalStorage, bound to the channels' start events, so it works with any
 * context manager.
 *
 * Does not own: what is traced (hcs-core, guestmanager), exporters or SDK set-up (the caller's).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { channel, tracingChannel } from 'node:diagnostics_channel';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type TraceContext, TracingChannels, VM_STATE_CHANNEL, type VmStateMessage } from '@uvmkit/hcs-core';

/** The instrumentation scope name of the tracer this package uses by default. */
export const INSTRUMENTATION_NAME = '@uvmkit/opentelemetry';

/** Span attribute keys. */
export const Attr = {
  vmId: 'uvmkit.vm.id',
  operation: 'uvmkit.operation',
  resourcePath: 'uvmkit.resource_path',
  requestType: 'uvmkit.request_type',
  hresult: 'uvmkit.hresult',
  errorCode: 'uvmkit.error_code',
  durationMs: 'uvmkit.duration_ms',
  state: 'uvmkit.vm.state',
  stateCause: 'uvmkit.vm.state_cause',
  exitType: 'uvmkit.vm.exit_type',
} as const;

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** The tracer to use (default: `tracerProvider.getTracer('@uvmkit/opentelemetry')`). */
  tracer?: Tracer | undefined;
  /** Where to get the tracer from (default: the global provider, `trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider | undefined;
}

/** An active instrumentation; `disable()` unsubscribes (idempotent). */
export interface Instrumentation {
  /** Stop producing spans. */
  disable(): void;
}

const hex = (hr: number): string => `0x${(hr >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

function spanName(ctx: TraceContext): string {
  return ctx.kind === TracingChannels.guestRequest ? `guest ${ctx.operation}` : ctx.operation;
}

function startAttributes(ctx: TraceContext): Attributes {
  const a: Attributes = { [Attr.operation]: ctx.operation };
  if (ctx.vmId !== undefined) a[Attr.vmId] = ctx.vmId;
  if (ctx.resourcePath !== undefined) a[Attr.resourcePath] = ctx.resourcePath;
  if (ctx.requestType !== undefined) a[Attr.requestType] = ctx.requestType;
  return a;
}

/**
 * Subscribe to uvmkit's channels and produce a span per call (named after the operation:
 * `HcsStartComputeSystem`, `UtilityVM.modify`, `guest ModifySettings`) and a zero-length
 * `uvmkit.vm.state` span per state change. Failed calls get status ERROR, the exception, the
 * HRESULT and the error code.
 */
export function instrument(options: InstrumentOptions = {}): Instrumentation {
  const tracer =
    options.tracer ?? (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME);
  const store = new AsyncLocalStorage<Context>();
  const spans = new WeakMap<TraceContext, Span>();
  const parent = (): Context => store.getStore() ?? context.active();
  const undo: (() => void)[] = [];

  for (const name of Object.values(TracingChannels)) {
    const ch = tracingChannel<object, TraceContext>(name);
    const transform = (ctx: object): Context => {
      const c = ctx as TraceContext;
      const p = parent();
      const span = tracer.startSpan(
        spanName(c),
        { kind: SpanKind.CLIENT, attributes: startAttributes(c) },
        p,
      );
      spans.set(c, span);
      return trace.setSpan(p, span);
    };
    ch.start.bindStore(store, transform as never);
    const handlers = {
      asyncEnd: (ctx: TraceContext): void => {
        const span = spans.get(ctx);
        if (span === undefined) return;
        spans.delete(ctx);
        if (ctx.duration !== undefined) span.setAttribute(Attr.durationMs, ctx.duration);
        if (ctx.hresult !== undefined) span.setAttribute(Attr.hresult, hex(ctx.hresult));
        if (ctx.errorCode !== undefined) span.setAttribute(Attr.errorCode, ctx.errorCode);
        if (ctx.error !== undefined) {
          const e = ctx.error;
          span.recordException(e instanceof Error ? e : String(e));
          span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
        }
        span.end();
      },
    };
    ch.subscribe(handlers as never);
    undo.push(() => {
      ch.unsubscribe(handlers as never);
      ch.start.unbindStore(store);
    });
  }

  const state = channel(VM_STATE_CHANNEL);
  const onState = (message: unknown): void => {
    const m = message as VmStateMessage;
    const attributes: Attributes = { [Attr.vmId]: m.vmId, [Attr.state]: m.state, [Attr.stateCause]: m.cause };
    if (m.exitType !== undefined) attributes[Attr.exitType] = m.exitType;
    tracer.startSpan('uvmkit.vm.state', { kind: SpanKind.INTERNAL, attributes }, parent()).end();
  };
  state.subscribe(onState);
  undo.push(() => state.unsubscribe(onState));

  let disabled = false;
  return {
    disable() {
      if (disabled) return;
      disabled = true;
      for (const u of undo) u();
    },
  };
}
