import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { CliError } from './errors';

/** One input line with its 1-based number. */
export interface NumberedLine {
  /** The line's text, without its terminator. */
  text: string;
  /** 1-based line number. */
  line: number;
}

/** Streams the lines of a file (or `-` for stdin) without holding them in memory. */
export async function* readLines(file: string, stdin: Readable): AsyncGenerator<NumberedLine> {
  let input: Readable = stdin;
  if (file !== '-') {
    input = createReadStream(file);
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', (e: NodeJS.ErrnoException) =>
        reject(new CliError(e.code === 'ENOENT' ? 'no such file' : e.message, file)),
      );
    });
  }
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    yield { text, line };
  }
}

/** Writes a line, waiting for the stream to drain when its buffer is full (so memory stays flat). */
export async function writeLine(out: Writable, text: string): Promise<void> {
  if (!out.write(text + '\n')) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}
