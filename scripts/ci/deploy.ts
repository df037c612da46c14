/**
 * Deploys an image tag to an app stack the Pulumi way: `config set imageTag` then `pulumi up`.
 * The program orders migrations before the rollout (the Deployment depends on the migrations
 * Job, and the provider waits for Job completion and Deployment readiness), so one `up` is
 * "migrations, then rollout". A smoke test follows. On failure with --rollback, the previous
 * tag (read from the stack outputs *before* the deploy) is deployed again with `pulumi up`,
 * never `kubectl rollout undo`, so state and cluster stay in agreement.
 *
 * CLI: deploy.ts --stack <s> --image-tag <tag> [--create] [--rollback] [--smoke-path /] [--no-smoke]
 *      outputs: url, previous-tag, image-tag, rolled-back (true|false)
 */
import { appendSummary, CiError, envValue, parseFlags, requireFlag, runCli, setOutput } from "./cli";
import { assertAppStack } from "./stack-name";
import { assertBackend, Pulumi, stackInitArgs, upArgs, type StackOutputs } from "./pulumi";
import { basicAuthHeader, runSmoke, smokeFailure, smokeTargets, type SmokeOptions } from "./smoke";

/** Docker tag grammar: what `imageTag` may hold. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Validates an image tag, quoting a bad one. */
export function parseImageTag(raw: unknown): string {
  if (typeof raw !== "string" || !IMAGE_TAG.test(raw.trim())) {
    throw new CiError(`invalid image tag ${JSON.stringify(raw)}: expected a Docker tag such as a commit SHA`, 2);
  }
  return raw.trim();
}

/** The tag to go back to if deploying `newTag` fails: the stack's current imageTag output, when it differs. */
export function rollbackTarget(outputsBefore: StackOutputs, newTag: string): string | undefined {
  const previous = outputsBefore.imageTag;
  return typeof previous === "string" && IMAGE_TAG.test(previous) && previous !== newTag ? previous : undefined;
}

/** Checks that the stack reports the tag just deployed; returns the problem or undefined. */
export function verifyDeployed(outputsAfter: StackOutputs, tag: string): string | undefined {
  return outputsAfter.imageTag === tag
    ? undefined
    : `after pulumi up the stack reports imageTag ${JSON.stringify(outputsAfter.imageTag)}, expected "${tag}"`;
}

/** The URL to show for an environment: the web front end (`pwa`) when present, else the first one. */
export function primaryUrl(outputs: StackOutputs): string | undefined {
  const urls = outputs.urls;
  if (urls === null || typeof urls !== "object") return undefined;
  const map = urls as Record<string, unknown>;
  const pick = map.pwa ?? Object.values(map).find((u) => typeof u === "string");
  return typeof pick === "string" ? pick : undefined;
}

/** A failed deploy; `rolledBackTo` is set when the previous tag was restored successfully. */
export class DeployFailure extends CiError {
  /** @param rolledBackTo the tag the stack runs again after a successful rollback (default none). */
  constructor(
    message: string,
    readonly rolledBackTo?: string,
  ) {
    super(message);
  }
}

/** What to do after a failed deploy. */
export type FailurePlan =
  | { action: "rollback"; to: string }
  | { action: "fail"; reason: string };

/** Decides between rolling back and failing outright after `newTag` failed to deploy. */
export function planAfterFailure(rollbackEnabled: boolean, outputsBefore: StackOutputs | undefined, newTag: string): FailurePlan {
  if (!rollbackEnabled) return { action: "fail", reason: "rollback not requested" };
  if (outputsBefore === undefined) return { action: "fail", reason: "the stack did not exist before this deploy" };
  const to = rollbackTarget(outputsBefore, newTag);
  return to === undefined
    ? { action: "fail", reason: `no previous imageTag different from ${newTag} in the stack outputs` }
    : { action: "rollback", to };
}

/** Dependencies of a deploy, injectable for tests. */
export interface DeployDeps {
  pulumi: Pulumi;
  smoke: (outputs: StackOutputs) => Promise<string | undefined>;
  log: (line: string) => void;
  secretsProvider?: string;
}

/** What a deploy did. */
export interface DeployOutcome {
  outputs: StackOutputs;
  previousTag?: string;
  rolledBack: boolean;
}

/** Config set + up + verify + smoke for one tag; throws CiError on any failure. */
async function deployTag(stack: string, tag: string, deps: DeployDeps): Promise<StackOutputs> {
  await deps.pulumi.setImageTag(stack, tag);
  await deps.pulumi.must(upArgs(stack));
  const outputs = await deps.pulumi.outputs(stack);
  const mismatch = verifyDeployed(outputs, tag);
  if (mismatch) throw new CiError(mismatch);
  const smokeProblem = await deps.smoke(outputs);
  if (smokeProblem) throw new CiError(smokeProblem);
  return outputs;
}

/** The whole deploy, rollback included. Resolves on success; rejects with the reason otherwise. */
export async function deploy(
  stack: string,
  tag: string,
  opts: { create: boolean; rollback: boolean },
  deps: DeployDeps,
): Promise<DeployOutcome> {
  let outputsBefore: StackOutputs | undefined;
  if (await deps.pulumi.stackExists(stack)) {
    outputsBefore = await deps.pulumi.outputs(stack);
  } else if (opts.create) {
    deps.log(`creating stack ${stack}`);
    await deps.pulumi.must(stackInitArgs(stack, deps.secretsProvider));
  } else {
    throw new CiError(`stack ${stack} does not exist: long-lived stacks are created by the platform admins`);
  }
  const previousTag = outputsBefore ? rollbackTarget(outputsBefore, tag) : undefined;
  deps.log(`deploying ${tag} to ${stack}${previousTag ? ` (currently ${previousTag})` : ""}`);
  try {
    return { outputs: await deployTag(stack, tag, deps), previousTag, rolledBack: false };
  } catch (err) {
    const reason = (err as Error).message;
    const plan = planAfterFailure(opts.rollback, outputsBefore, tag);
    if (plan.action === "fail") throw new DeployFailure(`deploy of ${tag} to ${stack} failed: ${reason} (no rollback: ${plan.reason})`);
    deps.log(`deploy of ${tag} failed (${reason}); rolling back to ${plan.to}`);
    try {
      await deployTag(stack, plan.to, deps);
    } catch (rollbackErr) {
      throw new DeployFailure(
        `deploy of ${tag} to ${stack} failed: ${reason}; ROLLBACK to ${plan.to} ALSO FAILED: ${(rollbackErr as Error).message}`,
      );
    }
    throw new DeployFailure(`deploy of ${tag} to ${stack} failed: ${reason}; rolled back to ${plan.to}`, plan.to);
  }
}

async function main(argv: string[]): Promise<void> {
  const usage = "deploy.ts --stack <s> --image-tag <tag> [--create] [--rollback] [--smoke-path /] [--no-smoke]";
  const flags = parseFlags(
    argv,
    {
      stack: { type: "string" },
      "image-tag": { type: "string" },
      create: { type: "boolean" },
      rollback: { type: "boolean" },
      "smoke-path": { type: "string" },
      "no-smoke": { type: "boolean" },
    },
    usage,
  );
  const stack = assertAppStack(requireFlag(flags.stack, "stack", usage));
  const tag = parseImageTag(requireFlag(flags["image-tag"], "image-tag", usage));
  assertBackend(process.env);
  const smokeOptions: SmokeOptions = { authorization: basicAuthHeader(envValue("SMOKE_BASIC_AUTH")) };
  const smokePath = flags["smoke-path"] ?? envValue("SMOKE_PATH") ?? "/";
  const deps: DeployDeps = {
    pulumi: new Pulumi(),
    log: (line) => process.stderr.write(`${line}\n`),
    secretsProvider: envValue("PULUMI_SECRETS_PROVIDER"),
    smoke: async (outputs) =>
      flags["no-smoke"] ? undefined : smokeFailure(await runSmoke(smokeTargets(outputs, smokePath), smokeOptions)),
  };
  setOutput("image-tag", tag);
  try {
    const outcome = await deploy(stack, tag, { create: !!flags.create, rollback: !!flags.rollback }, deps);
    const url = primaryUrl(outcome.outputs) ?? "";
    setOutput("url", url);
    setOutput("previous-tag", outcome.previousTag ?? "");
    setOutput("rolled-back", "false");
    appendSummary(`### ${stack}: deployed \`${tag}\`\n${url ? `URL: ${url}\n` : ""}`);
    process.stdout.write(`deployed ${tag} to ${stack}${url ? `: ${url}` : ""}\n`);
  } catch (err) {
    const message = (err as Error).message;
    setOutput("rolled-back", err instanceof DeployFailure && err.rolledBackTo !== undefined ? "true" : "false");
    appendSummary(`### ${stack}: deploy of \`${tag}\` failed\n${message}\n`);
    throw err;
  }
}

if (require.main === module) runCli(main);
