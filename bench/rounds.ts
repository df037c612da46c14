/** `BENCH_ROUNDS` (default 3): how many alternating rounds each benchmark takes its medians over. */
import { LocalError } from "../scripts/local/env";

export function benchRounds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BENCH_ROUNDS ?? "3";
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1) throw new LocalError(`BENCH_ROUNDS=${raw}: expected a whole number of rounds, 1 or more`);
  return n;
}
