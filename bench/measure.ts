/** What every benchmark measures with: how many rounds, a command's wall time, medians. */
import { LocalError } from "../scripts/local/env";

/** `BENCH_ROUNDS` (default 3): how many alternating rounds each benchmark takes its medians over. */
export function benchRounds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BENCH_ROUNDS ?? "3";
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1) throw new LocalError(`BENCH_ROUNDS=${raw}: expected a whole number of rounds, 1 or more`);
  return n;
}

/** Wall time of `fn`, in seconds. */
export function seconds(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The median (the upper one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
