import type { Writable } from 'node:stream';

/** Progress on stderr for long runs, only when stderr is a terminal; never mixed into stdout. */
export class Progress {
  private last = 0;
  private shown = false;

  constructor(
    private readonly stream: Writable & { isTTY?: boolean },
    private readonly label: string,
    private readonly threshold = 2000,
  ) {}

  /** Reports `done` items (redraws at most ~10 times a second, after `threshold` items). */
  tick(done: number): void {
    if (!this.stream.isTTY || done < this.threshold) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    this.stream.write(`\r${this.label}: ${done.toLocaleString('en-US')}`);
  }

  /** Clears the progress line. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
  }
}
