/**
 * Measures a subject against its baseline in the same process. Both run in the same tinybench instance,
 * in alternating order over several rounds, so machine load (other processes on a 2-core box) hits both
 * alike. A sample is one call (a batch of operations); a case's figure is its fastest sample over all
 * rounds: on a shared machine noise only ever adds time, so the minimum is the estimate that repeats best
 * (medians moved by ±30 % between runs while other jobs ran; minima by a few percent).
 */
import { Bench } from 'tinybench';

/** One benchmarked operation. */
export interface Case {
  /** Name (the JSON `name`). */
  readonly name: string;
  /** Runs `opsPerCall` operations (a batch, so timer overhead is negligible). */
  readonly fn: () => void;
  /** Operations one call of `fn` performs. */
  readonly opsPerCall: number;
  /** Runs before each timed call, untimed (e.g. refilling what the call drops). */
  readonly beforeEach?: () => void;
  /** Runs after each timed call, untimed. */
  readonly afterEach?: () => void;
}

/** A subject's figure against its baseline. */
export interface Comparison {
  /** Subject name. */
  readonly name: string;
  /** Operations per second of the subject (fastest sample over all rounds). */
  readonly opsPerSec: number;
  /** Operations per second of the baseline (fastest sample over all rounds). */
  readonly baseline: number;
  /** `opsPerSec / baseline`. */
  readonly ratio: number;
  /** Baseline name. */
  readonly baselineName: string;
  /** The ratio the issue asks for (at least), if any. */
  readonly target?: number;
  /** Per-round ratios (each round's fastest samples), for judging noise. */
  readonly roundRatios: readonly number[];
  /** Extra figures (memory, read counts). */
  readonly extra?: Record<string, number | string>;
}

/** Measurement settings. */
export interface HarnessOptions {
  /** Rounds (each measures both cases once). */
  rounds: number;
  /** Time budget per case per round, ms. */
  time: number;
  /** Warm-up per case per round, ms. */
  warmupTime: number;
}

function opsPerSecond(bench: Bench, c: Case): number {
  const task = bench.getTask(c.name);
  const r = task?.result;
  if (!r || r.state !== 'completed') {
    const why = r && r.state === 'errored' ? r.error : new Error(`state ${r?.state ?? 'missing'}`);
    throw new Error(`bench ${c.name} failed: ${why.message}`, { cause: why });
  }
  return (c.opsPerCall * 1000) / r.latency.min;
}

/** Measures `subject` and `baseline` in alternating order for `options.rounds` rounds. */
export function compare(subject: Case, baseline: Case, options: HarnessOptions, target?: number): Comparison {
  const subj: number[] = [];
  const base: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({ time: options.time, warmupTime: options.warmupTime, iterations: 5, warmupIterations: 2, throws: true });
    const order = round % 2 === 0 ? [baseline, subject] : [subject, baseline];
    for (const c of order) bench.add(c.name, c.fn, { ...(c.beforeEach ? { beforeEach: c.beforeEach } : {}), ...(c.afterEach ? { afterEach: c.afterEach } : {}) });
    bench.runSync();
    const s = opsPerSecond(bench, subject);
    const b = opsPerSecond(bench, baseline);
    subj.push(s);
    base.push(b);
    ratios.push(s / b);
  }
  const opsPerSec = Math.max(...subj);
  const baselineOps = Math.max(...base);
  return {
    name: subject.name,
    opsPerSec,
    baseline: baselineOps,
    ratio: opsPerSec / baselineOps,
    baselineName: baseline.name,
    ...(target === undefined ? {} : { target }),
    roundRatios: ratios,
  };
}

/** Where bench loops put what they compute, so that no loop is dead code. */
export const sink = { value: 0 };
