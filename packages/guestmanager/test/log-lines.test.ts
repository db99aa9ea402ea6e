import { describe, expect, it } from 'vitest';
import { LogLineSplitter, MAX_LOG_LINE, parseLogLine } from '../src/index.js';

function split(chunks: string[], end = true): string[] {
  const out: string[] = [];
  const s = new LogLineSplitter((line) => out.push(line));
  for (const c of chunks) s.push(c);
  if (end) s.end();
  return out;
}

describe('LogLineSplitter', () => {
  it('splits at newlines across chunks, drops a trailing CR and skips empty lines', () => {
    expect(split(['one\r\ntw', 'o\n\n', '\r\nthree'])).toEqual(['one', 'two', 'three']);
  });

  it('holds an unterminated line until the stream ends', () => {
    expect(split(['a\nb'], false)).toEqual(['a']);
    expect(split(['a\nb'])).toEqual(['a', 'b']);
  });

  it('a line with no newline is cut at MAX_LOG_LINE: the host never holds more', () => {
    const out = split(['x'.repeat(MAX_LOG_LINE * 2 + 5)], false);
    expect(out.map((l) => l.length)).toEqual([MAX_LOG_LINE, MAX_LOG_LINE]);
    expect(split(['x'.repeat(MAX_LOG_LINE + 1), '\n']).map((l) => l.length)).toEqual([MAX_LOG_LINE, 1]);
  });
});

describe('parseLogLine', () => {
  it('gives the object of a JSON line and undefined for anything else', () => {
    expect(parseLogLine('{"level":"info","msg":"hi","n":1}')).toEqual({ level: 'info', msg: 'hi', n: 1 });
    expect(parseLogLine('plain text')).toBeUndefined();
    expect(parseLogLine('{not json')).toBeUndefined();
    expect(parseLogLine('[1,2]')).toBeUndefined();
    expect(parseLogLine('{}')).toEqual({});
  });
});
