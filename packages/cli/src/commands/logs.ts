/**
 * `uvmctl logs ID [-f]`: the guest's log stream. The guest agent dials the host's log service
 * (vsock port 109, as hcsshim's init does); uvmctl listens there for the VM and prints each line
 * as it arrives. It sees only what the guest sends while it listens: no history is kept by HCS or
 * hcsd. What the guest itself keeps decides the rest: uvmkit-gcs (the qemu image's agent) holds up
 * to 256 KiB of lines while nobody listens and re-dials every ≤ 5 s, so the first connection
 * brings the lines since the last listener went away; hcsd's sim agent dials once, at boot, and
 * only when the host listens then (`uvmctl logs -f ID` before `uvmctl start ID`).
 *
 * Without `-f`: wait for the guest to connect (bounded by `--timeout`, default
 * {@link LOGS_CONNECT_TIMEOUT_MS}; none → `NoLogStream`, exit 7), print what it sends until it
 * is quiet for {@link LOGS_IDLE_MS}, exit 0. With `-f`: keep listening (the guest re-dials after
 * a lost stream) until the VM stops (exit 0) or Ctrl-C (exit 130).
 *
 * Human output: `TIME LEVEL MSG key=value…` for a JSON (logrus-style) line, any other line as is.
 * `--json`: one JSON object per line (NDJSON, not one document: it streams), the guest's own
 * objects unchanged, a non-JSON line as `{"msg": line}`.
 */
import type { Duplex } from 'node:stream';
import { LOG_PORT, LogLineSplitter, parseLogLine } from '@uvmkit/guestmanager';
import { isHcsError } from '@uvmkit/hcs-core';
import { listen, vsockServiceId } from '@uvmkit/hcs-core/hvsocket';
import type { Cli } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { Result } from '../output.js';

/** How long `logs` (without `-f`) waits for the guest to connect, unless `--timeout` says otherwise. */
export const LOGS_CONNECT_TIMEOUT_MS = 15_000;
/** `logs` without `-f` ends after the stream is quiet this long. */
export const LOGS_IDLE_MS = 1_000;

/** Options of `logs`. */
export interface LogsOptions {
  follow?: boolean;
}

/** One guest log line as uvmctl prints it (human, or its JSON object with `--json`). */
export function formatLogLine(line: string, json: boolean): string {
  const obj = parseLogLine(line);
  if (json) return JSON.stringify(obj ?? { msg: line });
  if (obj === undefined) return line;
  const { time, level, msg, ...rest } = obj;
  const parts: string[] = [];
  if (typeof time === 'string') parts.push(time);
  if (typeof level === 'string') parts.push(level.toUpperCase().padEnd(7));
  parts.push(typeof msg === 'string' ? msg : JSON.stringify(msg ?? ''));
  for (const [k, v] of Object.entries(rest))
    parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.join(' ');
}

const isCode = (err: unknown, code: string): boolean => isHcsError(err) && err.code === code;

/** `logs ID [-f]`. */
export async function logs(cli: Cli, id: string, o: LogsOptions): Promise<Result> {
  const follow = o.follow === true;
  await using vm = await cli.open(id);
  const serviceId = vsockServiceId(LOG_PORT);
  for (;;) {
    const listener = await listen({ vmId: vm.runtimeId, serviceId, signal: cli.signal });
    let stream: Duplex;
    try {
      stream = await listener.accept({
        vm,
        signal: cli.signal,
        timeout: follow ? undefined : (cli.timeout ?? LOGS_CONNECT_TIMEOUT_MS),
      });
    } catch (err) {
      if (follow && isCode(err, 'Aborted')) return { json: null, human: '', exitCode: ExitCode.Interrupted };
      if (isCode(err, 'HCS_E_UNEXPECTED_EXIT')) return { json: null, human: '' }; // the VM stopped
      if (!follow && isCode(err, 'Timeout')) {
        throw new CliError(
          'NoLogStream',
          `the guest of ${id} did not connect to the log service (vsock port ${LOG_PORT}) within ${cli.timeout ?? LOGS_CONNECT_TIMEOUT_MS} ms`,
          ExitCode.Timeout,
        );
      }
      throw err;
    } finally {
      await listener.close();
    }
    const ended = await relay(cli, stream, follow);
    if (ended === 'interrupted') return { json: null, human: '', exitCode: ExitCode.Interrupted };
    if (!follow || ended === 'reader-gone') return { json: null, human: '' };
    // The stream closed: listen again (uvmkit-gcs re-dials) until the VM stops.
  }
}

/** Print the lines of one stream until it closes (or, without `-f`, goes quiet). */
function relay(
  cli: Cli,
  stream: Duplex,
  follow: boolean,
): Promise<'closed' | 'idle' | 'interrupted' | 'reader-gone'> {
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    let done = false;
    const lines = new LogLineSplitter((line) => cli.stdout.write(`${formatLogLine(line, cli.json)}\n`));
    const finish = (how: 'closed' | 'idle' | 'interrupted' | 'reader-gone'): void => {
      if (done) return;
      done = true;
      if (idle !== undefined) clearTimeout(idle);
      cli.signal.removeEventListener('abort', onAbort);
      cli.stdout.off('error', onOutputError);
      if (how !== 'reader-gone') lines.end();
      stream.destroy();
      resolve(how);
    };
    const arm = (): void => {
      if (follow) return;
      if (idle !== undefined) clearTimeout(idle);
      idle = setTimeout(() => finish('idle'), LOGS_IDLE_MS);
    };
    const onAbort = (): void => finish('interrupted');
    // `uvmctl logs -f ID | head`: the reader went away (EPIPE), so stop quietly.
    const onOutputError = (): void => finish('reader-gone');
    cli.stdout.on('error', onOutputError);
    cli.signal.addEventListener('abort', onAbort, { once: true });
    stream.on('error', () => {});
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      lines.push(chunk);
      arm();
    });
    stream.once('close', () => finish('closed'));
    arm();
    stream.resume(); // accepted streams come back explicitly paused
  });
}
