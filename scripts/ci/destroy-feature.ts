/**
 * Tears down a pull request's preview environment: `pulumi destroy`, make sure the namespace is
 * gone, then `pulumi stack rm`. Idempotent: a PR closed before its first deploy is a no-op, and a
 * re-run after a partial failure (or a run killed midway, once `pulumi cancel` has released its
 * lock) finishes the job. The stack is only removed once its resources are, so nothing is ever
 * orphaned outside state.
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
  /** Variables set for this step on top of the job's environment. */
  env?: Readonly<Record<string, string>>;
}

/**
 * The preview's `pulumi destroy` writes its state once, when it ends (`PULUMI_SKIP_CHECKPOINTS`),
 * not before and after each of its ~45 deletes: those ~90 whole-state writes come before the one
 * delete that does the work (the namespace: everything else is deleted with it) and cost 0.2–0.6 s
 * of a 7-s teardown (alternating pairs on the local cluster).
 *
 * Safe here because every delete of a preview is idempotent: the namespaced objects and the
 * password are deleted with the namespace (`deletedWith`, no call), and a namespace already
 * terminating or gone counts as deleted. A destroy cut short therefore leaves the state as it was
 * before it, and the re-run deletes the same namespace again (e2e: "tears a preview down again
 * after a teardown killed midway"). Never for staging or production, whose interrupted update must
 * leave its pending operations in state.
 */
export const PREVIEW_DESTROY_ENV: Readonly<Record<string, string>> = { PULUMI_SKIP_CHECKPOINTS: "true" };

/** The teardown's `pulumi destroy` (the benchmark measures this exact step). */
export function destroyStep(stack: string): CleanupStep {
  return { tool: "pulumi", args: ["destroy", "--stack", stack, "--yes", "--non-interactive", "--skip-preview"], required: true, env: PREVIEW_DESTROY_ENV };
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
    destroyStep(stack),
    // The namespace is a resource of the stack, so destroy removed it; this catches what a failed first `up` left behind.
    { tool: "kubectl", args: deleteNamespaceArgs(namespace), required: false },
    { tool: "pulumi", args: ["stack", "rm", stack, "--yes", "--non-interactive"], required: true },
  ];
}

/** Runs a tool (with `env` on top of the job's environment); tests substitute a fake. */
export type ToolRunner = (tool: CleanupStep["tool"], args: string[], env?: CleanupStep["env"]) => Promise<RunResult>;

/** Executes a cleanup plan; stops at the first failed required step, naming it. */
export async function executeCleanup(plan: CleanupStep[], runTool: ToolRunner, log: (line: string) => void): Promise<void> {
  for (const step of plan) {
    const vars = Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
    log(`$ ${vars}${step.tool} ${step.args.join(" ")}`);
    const result = await runTool(step.tool, step.args, step.env);
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
    (tool, args, env) => (tool === "pulumi" ? pulumi.attempt(args, false, env) : run("kubectl", args, { extraEnv: env })),
    log,
  );
  process.stdout.write(`preview environment ${stack} removed\n`);
}

if (require.main === module) runCli(main);
