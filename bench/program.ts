/**
 * Evaluation time of the program under Pulumi mocks: the four application stacks with a
 * ten-service catalogue (goal: under 2 s together), and a cluster's worth of 50 previews.
 * Prints medians and ratios measured side by side in this one run.
 */
import * as path from "path";
import { ServiceDefinition } from "../base/catalogue";
import { ProgramRun, ROOT, runProgram } from "../tests/support/program";
import { benchRounds, median } from "./measure";

const STACKS = ["qa", "staging", "production", "feature-pr-142"];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catalogue = (require(path.join(ROOT, "base", "catalogue.ts")) as { SERVICE_CATALOGUE: ServiceDefinition[] }).SERVICE_CATALOGUE;
const original = [...catalogue];

/** Grows the catalogue to ten services (6 synthetic API services like core-api). */
function tenServices() {
  const template = original.find((s) => s.name === "core-api")!;
  for (let i = 1; catalogue.length < 10; i++) catalogue.push({ ...template, name: `extra-${i}`, migrations: i % 2 === 0 });
}

/** Back to the real four services. */
function realServices() {
  catalogue.splice(0, catalogue.length, ...original);
}

async function timed(fn: () => Promise<ProgramRun>): Promise<{ ms: number; resources: number }> {
  const start = process.hrtime.bigint();
  const run = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, resources: run.resources.length };
}

/** Runs the program benchmark and returns its report lines. */
export async function benchProgram(): Promise<string[]> {
  const rounds = benchRounds();
  const lines: string[] = [];
  for (const stack of STACKS) await runProgram(stack, {}, tenServices); // warm-up: load the SDK, compile
  const totals: number[] = [];
  const perStack: Record<string, number[]> = {};
  let resources = 0;
  for (let round = 0; round < rounds; round++) {
    let total = 0;
    resources = 0;
    for (const stack of STACKS) {
      const t = await timed(() => runProgram(stack, {}, tenServices));
      (perStack[stack] ??= []).push(t.ms);
      total += t.ms;
      resources += t.resources;
    }
    totals.push(total);
  }
  const four = median(totals);
  lines.push(`program: 4 stacks x 10 services (${resources} resources), median of ${rounds}: ${four.toFixed(0)} ms; goal 2000 ms; ratio ${(four / 2000).toFixed(2)}`);
  for (const stack of STACKS) lines.push(`  ${stack}: ${median(perStack[stack]).toFixed(0)} ms`);

  realServices();
  const features = 50;
  let featureMs = 0;
  let featureResources = 0;
  for (let n = 1; n <= features; n++) {
    const t = await timed(() => runProgram(`feature-pr-${n}`));
    featureMs += t.ms;
    featureResources += t.resources;
  }
  const perFeature = featureMs / features;
  const perResourceFeature = featureMs / featureResources;
  const perResourceFour = four / resources;
  lines.push(`program: 50 feature stacks (${featureResources} resources): ${featureMs.toFixed(0)} ms, ${perFeature.toFixed(0)} ms per stack`);
  lines.push(`program: time per resource, 50 previews vs 4 stacks: ${perResourceFeature.toFixed(2)} / ${perResourceFour.toFixed(2)} ms = ratio ${(perResourceFeature / perResourceFour).toFixed(2)} (1.0 = linear)`);
  return lines;
}
