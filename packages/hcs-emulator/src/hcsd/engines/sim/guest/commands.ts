/**
 * The built-in commands of the emulated guest (looked up by the basename of argv[0], so `echo`
 * and `/bin/echo` are the same). Nothing here starts a host process. Enough to exercise stdio,
 * exit codes, signals and timing:
 *
 * | command | does |
 * |---|---|
 * | `echo [-n] ARG…` | prints the arguments joined by spaces (and a newline unless `-n`), exit 0 |
 * | `cat [FILE…]` | copies stdin (no FILE, or `-`) or each guest file to stdout; an unknown file → a message on stderr, exit 1 |
 * | `sleep SECONDS` | waits (fractions allowed), exit 0 |
 * | `exit N`, `true`, `false` | exit N (0..255), 0, 1 |
 * | `stream BYTES [CHUNK]` | writes BYTES bytes (suffix K or M: ×1024, ×1024²) to stdout in CHUNK-byte writes (default 64K), byte i = i mod 251, waiting for the host to drain, exit 0 |
 * | `interleave N` | N times: `out <i>\n` on stdout, then `err <i>\n` on stderr, exit 0 |
 * | `hang` | runs until killed; ignores SIGTERM and SIGINT (for graceful → forced shutdown) |
 * | `winsize` | prints `<rows> <cols>\n` now and after every ResizeConsole, until stdin ends |
 * | `env`, `pwd` | the environment (`K=V` lines, sorted), the working directory |
 * | `sh -c SCRIPT` | runs `;`- or newline-separated built-ins in sequence (single and double quotes group words); `exit N` ends the script; the status is the last command's |
 *
 * Guest files readable by `cat`: `/etc/hostname` (the VM id), `/proc/mounts` (one line per
 * mount of the guest table), `/run/gcs/c/<id>/config.json` (a container's OCI spec).
 */

/** What a command sees of its process. */
export interface CommandContext {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly terminal: boolean;
  /** aborted when the process is killed */
  readonly signal: AbortSignal;
  /** Write to stdout / stderr; resolves when the relay accepted it (backpressure). */
  write(which: 'out' | 'err', data: string | Buffer): Promise<void>;
  /** All of stdin, until EOF (empty when there is no stdin relay). */
  stdin(): Promise<Buffer>;
  stdinChunks(): AsyncIterable<Buffer>;
  consoleSize(): readonly [number, number];
  /** Called after each resize; returns an unsubscribe function. */
  onResize(fn: () => void): () => void;
  readFile: ReadFile;
  /** Rejects when the process is killed. */
  sleep(ms: number): Promise<void>;
}

/** A guest file's content, or `undefined` when there is none. */
export type ReadFile = (path: string) => string | Buffer | undefined;

export type CommandFn = ((ctx: CommandContext) => Promise<number>) & { readonly ignores?: readonly number[] };

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

function size(text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  const m = /^(\d+)([KkMm]?)$/.exec(text);
  if (m === null) throw new Error(`invalid size ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const mult = m[2] === '' ? 1 : m[2]?.toLowerCase() === 'k' ? 1024 : 1024 * 1024;
  return n * mult;
}

const PATTERN = Buffer.alloc(251 * 1024);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % 251;

/** The `stream` pattern: byte i of the output is i mod 251. */
export function streamPattern(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let o = 0;
  while (o < length) {
    const start = (offset + o) % 251;
    const n = Math.min(length - o, PATTERN.length - start);
    PATTERN.copy(out, o, start, start + n);
    o += n;
  }
  return out;
}

const echo: CommandFn = async (ctx) => {
  const args = ctx.argv.slice(1);
  const noNewline = args[0] === '-n';
  const words = noNewline ? args.slice(1) : args;
  await ctx.write('out', `${words.join(' ')}${noNewline ? '' : '\n'}`);
  return 0;
};

const cat: CommandFn = async (ctx) => {
  const files = ctx.argv.slice(1);
  if (files.length === 0) files.push('-');
  let status = 0;
  for (const f of files) {
    if (f === '-') {
      for await (const chunk of ctx.stdinChunks()) await ctx.write('out', chunk);
      continue;
    }
    const content = ctx.readFile(f);
    if (content === undefined) {
      await ctx.write('err', `cat: ${f}: No such file or directory\n`);
      status = 1;
      continue;
    }
    await ctx.write('out', content);
  }
  return status;
};

const sleep: CommandFn = async (ctx) => {
  const s = Number(ctx.argv[1]);
  if (ctx.argv[1] === undefined || !Number.isFinite(s) || s < 0) {
    await ctx.write('err', `sleep: invalid time interval ${JSON.stringify(ctx.argv[1] ?? '')}\n`);
    return 1;
  }
  await ctx.sleep(s * 1000);
  return 0;
};

function exitCode(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n)) return 2;
  return ((n % 256) + 256) % 256;
}

const exit: CommandFn = async (ctx) => exitCode(ctx.argv[1]);

const stream: CommandFn = async (ctx) => {
  const total = size(ctx.argv[1], 0);
  const chunk = Math.max(1, Math.min(size(ctx.argv[2], 64 * 1024), 4 * 1024 * 1024));
  let off = 0;
  while (off < total && !ctx.signal.aborted) {
    const n = Math.min(chunk, total - off);
    await ctx.write('out', streamPattern(off, n));
    off += n;
  }
  return 0;
};

const interleave: CommandFn = async (ctx) => {
  const n = Number(ctx.argv[1] ?? '0');
  for (let i = 0; i < n && !ctx.signal.aborted; i++) {
    await ctx.write('out', `out ${i}\n`);
    await ctx.write('err', `err ${i}\n`);
  }
  return 0;
};

const hang: CommandFn = Object.assign(
  async (ctx: CommandContext) => {
    await new Promise<void>((resolve) =>
      ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    return 0;
  },
  { ignores: [2, 15] },
);

const winsize: CommandFn = async (ctx) => {
  const print = (): void => {
    const [rows, cols] = ctx.consoleSize();
    void ctx.write('out', `${rows} ${cols}\n`);
  };
  print();
  const off = ctx.onResize(print);
  try {
    await ctx.stdin();
  } finally {
    off();
  }
  return 0;
};

const env: CommandFn = async (ctx) => {
  const lines = Object.entries(ctx.env)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
  await ctx.write('out', lines);
  return 0;
};

const pwd: CommandFn = async (ctx) => {
  await ctx.write('out', `${ctx.cwd}\n`);
  return 0;
};

/** Split a statement into words: whitespace separates, '…' and "…" group. */
export function words(statement: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (const ch of statement) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += ch;
    inWord = true;
  }
  if (quote !== undefined) throw new Error('unterminated quote');
  if (inWord) out.push(cur);
  return out;
}

/** Split a script into statements at `;` and newlines outside quotes. */
function statements(script: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  for (const ch of script) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    if (ch === ';' || ch === '\n') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out.filter((s) => s.trim() !== '');
}

const sh: CommandFn = async (ctx) => {
  if (ctx.argv[1] !== '-c' || ctx.argv[2] === undefined) {
    await ctx.write('err', 'sh: the emulated shell runs only `sh -c SCRIPT`\n');
    return 2;
  }
  let status = 0;
  for (const st of statements(ctx.argv[2])) {
    let argv: string[];
    try {
      argv = words(st);
    } catch (e) {
      await ctx.write('err', `sh: ${(e as Error).message}\n`);
      return 2;
    }
    if (argv.length === 0) continue;
    if (argv[0] === 'exit') return argv[1] === undefined ? status : exitCode(argv[1]);
    const fn = lookupCommand(argv);
    if (fn === undefined || fn === sh) {
      await ctx.write('err', `sh: ${argv[0]}: not found\n`);
      status = 127;
      continue;
    }
    status = await fn({ ...ctx, argv });
  }
  return status;
};

const COMMANDS: Record<string, CommandFn> = {
  echo,
  cat,
  sleep,
  exit,
  true: async () => 0,
  false: async () => 1,
  stream,
  interleave,
  hang,
  winsize,
  env,
  pwd,
  sh,
};

/** The built-in for argv[0], or `undefined`. */
export function lookupCommand(argv: readonly string[]): CommandFn | undefined {
  const name = argv[0];
  if (name === undefined || name === '') return undefined;
  const b = base(name);
  return Object.hasOwn(COMMANDS, b) ? COMMANDS[b] : undefined;
}

/** The names of the built-in commands (for docs and inspection). */
export const BUILTIN_COMMANDS: readonly string[] = Object.keys(COMMANDS);
