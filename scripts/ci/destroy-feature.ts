/**
 * Tears down a pull request's preview environment: `pulumi destroy`, make sure the namespace is
 * gone, then `pulumi stack rm`. Idempotent: a PR closed before its first deploy is a no-op, and a
 * re-run after a partial failure finishes the job. The stack is only removed once its resources
 * are, so nothing is ever orphaned outside state.
 *
 * CLI: destroy-feature.ts (--pr <N> | --event)
 */
import { CiError, parseFlags, run, runCli, type RunResult } from "./cli";
import { pullRequestFromEvent, readEvent } from "./github-event";
import { assertBackend, Pulumi } from "./pulumi";
import { namespaceForStack, prStackName } from "./stack-name";

/** One cleanup command. */
export interface CleanupStep {
  tool: "pulumi" | "kubectl";
  args: string[];
  /** When false a failure is logged and the cleanup goes on (default true). */
  required: boolean;
}

/** `kubectl delete namespace`, tolerant of a namespace that is already gone. */
export function deleteNamespaceArgs(namespace: string): string[] {
  return ["delete", "namespace", namespace, "--ignore-not-found", "--wait=true", "--timeout=180s"];
}

/**
 * The cleanup of a feature stack in order. With no stack there is nothing in state, but a namespace
 * left by a crashed first deploy may still exist, so the namespace deletion always runs.
 */
export function cleanupPlan(stack: string, stackExists: boolean): CleanupStep[] {
  const namespace = namespaceForStack(stack);
  if (!stackExists) return [{ tool: "kubectl", args: deleteNamespaceArgs(namespace), required: false }];
  return [
    { tool: "pulumi", args: ["destroy", "--stack", stack, "--yes", "--non-interactive", "--skip-preview"], required: true },
    // The namespace is a resource of the stack, so destroy removed it; this catches what a failed first `up` left behind.
    { tool: "kubectl", args: deleteNamespaceArgs(namespace), required: false },
    { tool: "pulumi", args: ["stack", "rm", stack, "--yes", "--non-interactive"], required: true },
  ];
}

/** Runs a tool; tests substitute a fake. */
export type ToolRunner = (tool: CleanupStep["tool"], args: string[]) => Promise<RunResult>;

/** Executes a cleanup plan; stops at the first failed required step, naming it. */
export async function executeCleanup(plan: CleanupStep[], runTool: ToolRunner, log: (line: string) => void): Promise<void> {
  for (const step of plan) {
    log(`$ ${step.tool} ${step.args.join(" ")}`);
    const result = await runTool(step.tool, step.args);
    if (result.code === 0) continue;
    if (step.required) {
      throw new CiError(
        `${step.tool} ${step.args.slice(0, 2).join(" ")} failed with exit ${result.code}; the stack is kept so nothing is orphaned. Re-run this workflow, or run it by hand.`,
      );
    }
    log(`warning: ${step.tool} ${step.args.join(" ")} exited ${result.code}; continuing`);
  }
}

async function main(argv: string[]): Promise<void> {
  const usage = "destroy-feature.ts (--pr <N> | --event)";
  const flags = parseFlags(argv, { pr: { type: "string" }, event: { type: "boolean" } }, usage);
  const pr = flags.event ? pullRequestFromEvent(readEvent()).number : flags.pr;
  if (pr === undefined) throw new CiError(`one of --pr or --event is required\nusage: ${usage}`, 2);
  const stack = prStackName(pr);
  assertBackend(process.env);
  const pulumi = new Pulumi();
  const exists = await pulumi.stackExists(stack);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (!exists) log(`stack ${stack} does not exist; only making sure namespace ${stack} is gone`);
  await executeCleanup(
    cleanupPlan(stack, exists),
    (tool, args) => (tool === "pulumi" ? pulumi.attempt(args) : run("kubectl", args)),
    log,
  );
  process.stdout.write(`preview environment ${stack} removed\n`);
}

if (require.main === module) runCli(main);
