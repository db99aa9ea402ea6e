/**
 * How this package reports failures: every rejection is an `HcsError` (from `@uvmkit/hcs-core`)
 * whose message starts with what was being done ("failed to add mapped pipe \"<path>\": …").
 * HCS failures keep their `code`, `hresult`, HCS events and the original error as `cause`; a bad
 * argument is `code: 'InvalidArgument'` with the hcs-schema `InvalidArgumentError` (naming the
 * argument in `argument`) as `cause`, and nothing is sent.
 */
import { type CallOptions, HcsError, LocalCode, type UtilityVM } from '@uvmkit/hcs-core';
import { InvalidArgumentError } from '@uvmkit/hcs-schema';

/** Printable form of an argument for a message. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Re-throw an HcsError unchanged in kind, with `what` in front of its message. */
export function wrap(err: unknown, what: string, vm: UtilityVM): unknown {
  if (!(err instanceof HcsError)) return err;
  return new HcsError(err.code, `failed to ${what}: ${err.message}`, {
    ...(err.hresult === undefined ? {} : { hresult: err.hresult }),
    ...(err.op === undefined ? {} : { op: err.op }),
    id: vm.id,
    cause: err,
    result: {
      ErrorEvents: err.events,
      Attribution: err.attribution,
      ...(err.hcsMessage === undefined ? {} : { ErrorMessage: err.hcsMessage }),
    },
  });
}

/**
 * A resource-path builder rejected an argument: InvalidArgument, the builder's error as cause.
 * `rename` maps the builder's parameter names to this package's (`hostPipePath` → `hostPath`).
 */
export function argumentError(
  err: unknown,
  what: string,
  op: string,
  vm: UtilityVM,
  rename: Readonly<Record<string, string>> = {},
): unknown {
  if (!(err instanceof InvalidArgumentError)) return err;
  let cause = err;
  const name = rename[err.argument];
  if (name !== undefined) {
    // the builder's message is `invalid argument <name> (<value>): <reason>`; reasons never contain "): "
    const reason = err.message.slice(err.message.lastIndexOf('): ') + 3);
    cause = new InvalidArgumentError(name, err.value, reason);
  }
  return new HcsError(LocalCode.InvalidArgument, `failed to ${what}: ${cause.message}`, {
    op,
    id: vm.id,
    cause,
  });
}

/**
 * Build the request (argument errors → InvalidArgument, nothing sent), then send it with
 * `vm.modify` (which validates it against hcs-schema first), wrapping any failure with `what`.
 */
export async function send(
  vm: UtilityVM,
  op: string,
  what: string,
  build: () => object,
  options: CallOptions | undefined,
  rename?: Readonly<Record<string, string>>,
): Promise<void> {
  let request: object;
  try {
    request = build();
  } catch (err) {
    throw argumentError(err, what, op, vm, rename);
  }
  try {
    await vm.modify(request, options);
  } catch (err) {
    throw wrap(err, what, vm);
  }
}
