/**
 * Scheduled drift check of one long-lived stack: `pulumi refresh --preview-only --json` compares
 * the state with the live cluster without writing state. It runs main's program only to configure
 * the provider from this job's kubeconfig; resources main adds are skipped, so a main branch that
 * is ahead of production (normal between promotions) is not reported as drift. Secrets are left
 * out (the drift identity may not read them). Any difference fails the job with an annotation per
 * resource and a job summary.
 *
 * CLI: drift.ts --stack <s>
 */
import { annotation, appendSummary, CiError, parseFlags, requireFlag, runCli } from "./cli";
import { changeCount, parsePreviewSummary, type PreviewSummary } from "./preview-summary";
import { assertBackend, driftArgs, Pulumi } from "./pulumi";
import { assertStackName, isLongLivedStack } from "./stack-name";

/** A drift verdict: the lines to print, and whether it is drift. */
export interface DriftReport {
  drifted: boolean;
  lines: string[];
}

/**
 * Describes what drifted in a refresh preview; an empty report means the cluster matches state.
 * A provider's own configuration is not drift: with `--run-program` its kubeconfig is this job's
 * file and identity, which always differs from the deploy's.
 */
export function driftReport(stack: string, summary: PreviewSummary): DriftReport {
  const changed = summary.changed.filter((c) => !c.type.startsWith("pulumi:providers:"));
  const providerChanges = summary.changed.length - changed.length;
  if (changed.length === 0 && changeCount(summary) <= providerChanges) return { drifted: false, lines: [`${stack}: no drift`] };
  const lines = changed.map(
    (c) => `${stack}: ${c.type} ${c.name} ${c.op === "delete" ? "is gone from the cluster" : `differs (${c.diff.join(", ") || c.op})`}`,
  );
  return { drifted: true, lines: lines.length > 0 ? lines : [`${stack}: refresh reports changes ${JSON.stringify(summary.changes)}`] };
}

async function main(argv: string[]): Promise<number> {
  const usage = "drift.ts --stack <cluster|qa|staging|production>";
  const flags = parseFlags(argv, { stack: { type: "string" } }, usage);
  const stack = assertStackName(requireFlag(flags.stack, "stack", usage));
  if (!isLongLivedStack(stack)) throw new CiError(`drift checks cover long-lived stacks only, got "${stack}"`, 2);
  assertBackend(process.env);
  const result = await new Pulumi().attempt(driftArgs(stack), true);
  let summary: PreviewSummary;
  try {
    summary = parsePreviewSummary(result.stdout);
  } catch (err) {
    throw new CiError(`refresh of ${stack} exited ${result.code} without readable JSON: ${(err as Error).message}`);
  }
  if (result.code !== 0 || summary.errors.length > 0) {
    throw new CiError(`refresh of ${stack} failed (exit ${result.code}): ${summary.errors.join("; ") || "see log"}`);
  }
  const report = driftReport(stack, summary);
  for (const line of report.lines) {
    process.stdout.write(`${report.drifted ? annotation("error", line, `Drift in ${stack}`) : line}\n`);
  }
  appendSummary(`### Drift: ${stack}\n${report.lines.map((l) => `- ${l}`).join("\n")}\n`);
  if (report.drifted) {
    process.stderr.write(
      `error: ${stack} has drifted from its Pulumi state. Find who changed it, then either revert by hand or run \`pulumi up --stack ${stack}\` from the deployed commit.\n`,
    );
    return 1;
  }
  return 0;
}

if (require.main === module) runCli(main);
