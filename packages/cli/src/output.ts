/**
 * Output: every command returns a {@link Result} (what `--json` prints and what a person reads);
 * the runner prints one or the other. Progress lines go to stderr and only on a terminal.
 */
import type { Writable } from 'node:stream';

/** What a command produced. */
export interface Result {
  /** Printed as JSON (one document, on stdout) with `--json`. */
  readonly json: unknown;
  /** Printed otherwise (on stdout); empty lines are fine, `''` prints nothing. */
  readonly human: string;
  /** The exit code when the command itself decides one (e.g. `wait`: 0). */
  readonly exitCode?: number;
}

/** A plain text table: a header row, then one row per entry, columns padded to the widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `key: value` lines, values JSON-encoded unless they are strings or numbers. */
export function fields(entries: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `${`${k}:`.padEnd(width + 1)} ${typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v)}`,
    )
    .join('\n');
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Show `label` with a spinner on `stream` while `work` runs, when `enabled` (a TTY and no
 * `--json`); the line is erased when it settles. Otherwise just awaits `work`.
 */
export async function withProgress<T>(
  stream: Writable & { isTTY?: boolean },
  enabled: boolean,
  label: string,
  work: Promise<T>,
): Promise<T> {
  if (!enabled) return work;
  const started = Date.now();
  let i = 0;
  const draw = (): void => {
    const s = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`\r\x1b[2K${FRAMES[i++ % FRAMES.length]} ${label} (${s}s)`);
  };
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    stream.write('\r\x1b[2K');
  }
}
