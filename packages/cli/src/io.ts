import type { Readable, Writable } from 'node:stream';

/** The CLI's streams and terminal facts, injectable for tests. */
export interface CliIo {
  /** Writes a line (or lines) to stdout. */
  out(text: string): void;
  /** Writes a line to stderr. */
  err(text: string): void;
  /** stdout, for streaming writes with backpressure. */
  stdout: Writable;
  /** stderr (progress goes here, only when it is a terminal). */
  stderr: Writable & {
    /** True when stderr is a terminal: only then does `viommu` draw progress on it. */
    isTTY?: boolean;
  };
  /** stdin, for `--requests -`. */
  stdin: Readable;
  /** Colour output (stdout is a terminal and NO_COLOR is unset). */
  colour: boolean;
}

/** The process's real streams. */
export function processIo(): CliIo {
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    out: (t) => void process.stdout.write(t + '\n'),
    err: (t) => void process.stderr.write(t + '\n'),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    colour,
  };
}
