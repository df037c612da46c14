/**
 * Stack names as CI meets them: parsed, checked and derived with policy/conventions.ts. Workflows
 * never spell `feature-pr-${{ … }}` themselves: they call this script and use its outputs.
 *
 * CLI: stack-name.ts --pr <N> | --event   → prints the stack, sets outputs `stack` and `namespace`.
 */
import { CLUSTER_STACK, FEATURE_STACK, LONG_LIVED_ENVIRONMENTS, featureStackName } from "../../policy/conventions";
import { CiError, parseFlags, runCli, setOutput } from "./cli";
import { pullRequestFromEvent, readEvent } from "./github-event";

/** Stacks that live as long as the team does, in promotion order after `cluster`. */
export const LONG_LIVED_STACKS = [CLUSTER_STACK, ...LONG_LIVED_ENVIRONMENTS] as const;

/** A long-lived stack name. */
export type LongLivedStack = (typeof LONG_LIVED_STACKS)[number];

/** Largest PR number accepted (`FEATURE_STACK` allows nine digits): keeps `feature-pr-<N>` well inside a DNS label. */
const MAX_PR_NUMBER = 999_999_999;

/** Parses a pull request number from a flag, event field or env value; rejects anything but a positive integer. */
export function parsePrNumber(raw: unknown): number {
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : undefined;
  if (text === undefined || !/^[1-9][0-9]*$/.test(text) || Number(text) > MAX_PR_NUMBER) {
    throw new CiError(
      `invalid pull request number ${JSON.stringify(raw)}: expected a positive integer (1..${MAX_PR_NUMBER})`,
      2,
    );
  }
  return Number(text);
}

/** The stack (and namespace) of a pull request's preview environment: `feature-pr-<N>`. */
export function prStackName(prNumber: unknown): string {
  return featureStackName(parsePrNumber(prNumber));
}

/** The PR number of a feature stack, or undefined when the name is not `feature-pr-<N>`. */
export function prNumberFromStack(stack: string): number | undefined {
  const match = FEATURE_STACK.exec(stack);
  return match ? Number(match[1]) : undefined;
}

/** True for `cluster`, `qa`, `staging`, `production`. */
export function isLongLivedStack(stack: string): stack is LongLivedStack {
  return (LONG_LIVED_STACKS as readonly string[]).includes(stack);
}

/** Validates a stack name against the conventions; the error quotes the value and lists what is accepted. */
export function assertStackName(stack: unknown): string {
  if (typeof stack === "string" && (isLongLivedStack(stack) || prNumberFromStack(stack) !== undefined)) {
    return stack;
  }
  throw new CiError(
    `invalid stack ${JSON.stringify(stack)}: expected one of ${LONG_LIVED_STACKS.join(", ")} or feature-pr-<N>`,
    2,
  );
}

/** Validates an app stack (one CI deploys with an image tag): qa, staging, production or feature-pr-<N>. */
export function assertAppStack(stack: unknown): string {
  const name = assertStackName(stack);
  if (name === "cluster") {
    throw new CiError(`stack "cluster" is run by platform admins, not deployed by CI with an image tag`, 2);
  }
  return name;
}

/** The Kubernetes namespace of an app stack: the environment name, which is the stack name. */
export function namespaceForStack(stack: string): string {
  return assertAppStack(stack);
}

async function main(argv: string[]): Promise<void> {
  const usage = "stack-name.ts (--pr <N> | --event)";
  const flags = parseFlags(argv, { pr: { type: "string" }, event: { type: "boolean" } }, usage);
  let pr: unknown = flags.pr;
  if (flags.event) {
    pr = pullRequestFromEvent(readEvent()).number;
  }
  if (pr === undefined) throw new CiError(`one of --pr or --event is required\nusage: ${usage}`, 2);
  const stack = prStackName(pr);
  setOutput("stack", stack);
  setOutput("namespace", namespaceForStack(stack));
  setOutput("pr", String(parsePrNumber(pr)));
}

if (require.main === module) runCli(main);
