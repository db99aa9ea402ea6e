/**
 * The guest log stream's lines (vsock port 109): text split at `\n` (a trailing `\r` dropped,
 * empty lines skipped), a line longer than {@link MAX_LOG_LINE} split into pieces of that size so
 * a guest that never sends a newline cannot make the host hold an unbounded line.
 */

/** Longest log line kept whole. */
export const MAX_LOG_LINE = 64 * 1024;

/** Splits a log stream's text into lines as it arrives. */
export class LogLineSplitter {
  #partial = '';
  readonly #onLine: (line: string) => void;

  /** @param onLine called with each complete line, in order */
  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  /** Take the next piece of the stream's text (decoded as UTF-8 by the caller). */
  push(chunk: string): void {
    this.#partial += chunk;
    let i = this.#partial.indexOf('\n');
    while (i >= 0) {
      this.#emit(this.#partial.slice(0, i));
      this.#partial = this.#partial.slice(i + 1);
      i = this.#partial.indexOf('\n');
    }
    while (this.#partial.length > MAX_LOG_LINE) {
      this.#emit(this.#partial.slice(0, MAX_LOG_LINE));
      this.#partial = this.#partial.slice(MAX_LOG_LINE);
    }
  }

  /** The stream ended: a last line without its newline is still a line. */
  end(): void {
    const rest = this.#partial;
    this.#partial = '';
    this.#emit(rest);
  }

  #emit(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text !== '') this.#onLine(text);
  }
}

/**
 * A log line's structured form: the object a JSON (logrus-style) line holds, or `undefined` for a
 * line that is not one JSON object (plain text, an array, malformed JSON).
 */
export function parseLogLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc)
    ? (doc as Record<string, unknown>)
    : undefined;
}
