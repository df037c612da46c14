/**
 * The pipeline's security rules as small functions over a parsed workflow. Each returns the list
 * of violations (empty = compliant), naming the job and what is wrong, so workflows.spec.ts can
 * run every rule on every workflow file *and* show each rule failing on a small bad workflow.
 *
 * The threat: a developer who can push a branch and open a pull request, but cannot approve the
 * `staging`/`production` environments, must not reach a long-lived environment's credentials.
 */

/** One step, as far as the rules look at it. */
export interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

/** One job, as far as the rules look at it. */
export interface Job {
  if?: string;
  env?: Record<string, unknown>;
  steps?: Step[];
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  uses?: string;
  secrets?: unknown;
}

/** A parsed workflow file. */
export interface Workflow {
  on?: unknown;
  env?: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

/** A rule: the workflow's violations, each a sentence naming the job. */
export type Rule = (wf: Workflow) => string[];

/** The environment a job declares, or undefined. */
export function environmentOf(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

/** The workflow's trigger names and their settings (`on:` as a string, list or map). */
export function triggers(wf: Workflow): Record<string, unknown> {
  const on = wf.on;
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((t: string) => [t, null]));
  return (on ?? {}) as Record<string, unknown>;
}

/** Secrets a value references (`secrets.NAME`, or `secrets[…]` as `[dynamic]`), GITHUB_TOKEN excluded. */
export function secretsIn(value: unknown): string[] {
  const text = JSON.stringify(value ?? null);
  const names = [...text.matchAll(/secrets\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
  if (/secrets\s*\[/.test(text)) names.push("[dynamic]");
  // The whole context at once (`toJSON(secrets)`, `format('{0}', secrets)`): every secret.
  if (/\bsecrets\b\s*[),]/.test(text)) names.push("[all]");
  if (/"secrets"\s*:\s*"inherit"/.test(text)) names.push("[inherit]");
  return [...new Set(names)].filter((n) => n !== "GITHUB_TOKEN");
}

/** Names of long-lived credentials: state backend, passphrase, cloud keys, kubeconfigs (also prefixed, e.g. STAGING_…). */
export const LONG_LIVED_SECRET =
  /(^|_)(PULUMI_CONFIG_PASSPHRASE|PASSPHRASE|PULUMI_ACCESS_TOKEN|ACCESS_TOKEN|AWS_SECRET_ACCESS_KEY|AZURE_STORAGE_KEY|GOOGLE_CREDENTIALS|KUBECONFIG)$|^\[(dynamic|inherit)\]$/;

/** Whether a `push` trigger can be fired by a branch other than main (no filter, other branches, tags). */
function pushFromOtherRefs(push: unknown): boolean {
  if (push === null || push === undefined || typeof push !== "object") return true;
  const p = push as Record<string, unknown>;
  const branches = p.branches;
  if (p["branches-ignore"] !== undefined || p.tags !== undefined || p["tags-ignore"] !== undefined)
    return true;
  return !(Array.isArray(branches) && branches.length > 0 && branches.every((b) => b === "main"));
}

/** Triggers whose workflow file and code come from a branch a developer controls. */
export function branchControlledTriggers(wf: Workflow): string[] {
  const t = triggers(wf);
  const found = Object.keys(t).filter((name) =>
    [
      "pull_request",
      "pull_request_review",
      "pull_request_review_comment",
      "create",
      "delete",
      "merge_group",
    ].includes(name),
  );
  if ("push" in t && pushFromOtherRefs(t.push)) found.push("push (not main only)");
  return found;
}

/** Whether a job's `if:` limits it to runs from main. */
export function guardedToMain(job: Job): boolean {
  return /github\.ref\s*==\s*'refs\/heads\/main'/.test(job.if ?? "");
}

/** The shell of a job's steps, one line per step. */
export function runsOf(job: Job): string {
  return (job.steps ?? []).map((s) => s.run ?? "").join("\n");
}

/**
 * Rule (a): a job that references any secret but the GitHub token declares an `environment:`,
 * so the secret can live in that environment, behind its reviewers and branch policy.
 */
export const secretsOnlyInEnvironments: Rule = (wf) => {
  const out: string[] = [];
  const top = secretsIn(wf.env);
  if (top.length > 0)
    out.push(`workflow-level env references ${top.join(", ")}: every job would hold them`);
  for (const [id, job] of Object.entries(wf.jobs)) {
    const used = secretsIn(job);
    if (used.length > 0 && environmentOf(job) === undefined) {
      out.push(`${id}: references ${used.join(", ")} without an environment`);
    }
  }
  return out;
};

/**
 * Rule (b): a workflow a branch controls (pull_request, push to other branches, …) references no
 * secret at all, and a `workflow_dispatch`/`repository_dispatch` job that does is guarded to main.
 */
export const noSecretsOnBranchTriggers: Rule = (wf) => {
  const out: string[] = [];
  const branchTriggers = branchControlledTriggers(wf);
  const dispatch = Object.keys(triggers(wf)).filter(
    (t) => t === "workflow_dispatch" || t === "repository_dispatch",
  );
  for (const [id, job] of Object.entries(wf.jobs)) {
    const used = [...secretsIn(wf.env), ...secretsIn(job)];
    if (used.length === 0) continue;
    if (branchTriggers.length > 0)
      out.push(
        `${id}: references ${used.join(", ")} in a workflow run by ${branchTriggers.join(", ")}`,
      );
    if (dispatch.length > 0 && !guardedToMain(job)) {
      out.push(
        `${id}: references ${used.join(", ")} on ${dispatch.join(", ")} without if: github.ref == 'refs/heads/main'`,
      );
    }
  }
  return out;
};

/** Expressions that name the pull request's head code. */
const HEAD_CODE =
  /github\.event\.pull_request\.(head\.(sha|ref|repo)|merge_commit_sha)|github\.head_ref|github\.event\.workflow_run\.head_|refs\/pull\//;

/** Shell that fetches or installs code from the pull request. */
const FETCHES_PR = /gh\s+pr\s+checkout|git\s+fetch[^\n]*(pull\/|head)|refs\/pull\//;

/**
 * Rule (c): in `pull_request_target`/`workflow_run` workflows (which run with the base branch's
 * secrets) no step checks out, fetches or installs the PR's code: the head appears only in `env:`
 * values (as data), never in a step's `with:` (checkout ref/repository) or `run:`, and every
 * `npm ci`/`npm install` runs in a job whose checkouts are all of the base.
 */
export const privilegedTriggersRunNoPrCode: Rule = (wf) => {
  const t = triggers(wf);
  if (!("pull_request_target" in t) && !("workflow_run" in t)) return [];
  const out: string[] = [];
  for (const [id, job] of Object.entries(wf.jobs)) {
    let headCheckedOut = false;
    for (const step of job.steps ?? []) {
      const withText = JSON.stringify(step.with ?? {});
      if (HEAD_CODE.test(withText)) {
        headCheckedOut = true;
        out.push(`${id}: step ${step.uses ?? "(run)"} takes the PR head in with: ${withText}`);
      }
      if (HEAD_CODE.test(step.run ?? "") || FETCHES_PR.test(step.run ?? "")) {
        headCheckedOut = true;
        out.push(`${id}: a run step fetches or names the PR head: ${step.run}`);
      }
      if (
        headCheckedOut &&
        /\b(npm\s+(ci|install|i)\b|yarn\b|pnpm\s+install)/.test(step.run ?? "")
      ) {
        out.push(`${id}: installs dependencies after checking out the PR: ${step.run}`);
      }
    }
  }
  return out;
};

/** Protected environments: only code on main may deploy them. */
export const MAIN_ONLY_ENVIRONMENTS = ["staging", "production"];

/**
 * Rule (d): jobs in `staging`/`production` run only on main: the workflow is triggered only by a
 * push to main or a dispatch, a dispatch job is guarded to main, and production runs on-main.ts
 * (the released commit is on origin/main) before it deploys.
 */
export const protectedEnvironmentsOnlyFromMain: Rule = (wf) => {
  const out: string[] = [];
  const t = triggers(wf);
  const allowed = new Set(["push", "workflow_dispatch"]);
  for (const [id, job] of Object.entries(wf.jobs)) {
    const env = environmentOf(job);
    if (env === undefined || !MAIN_ONLY_ENVIRONMENTS.includes(env)) continue;
    const others = Object.keys(t).filter((name) => !allowed.has(name));
    if (others.length > 0)
      out.push(`${id}: ${env} job in a workflow also triggered by ${others.join(", ")}`);
    if ("push" in t && pushFromOtherRefs(t.push))
      out.push(`${id}: ${env} job runs on pushes to refs other than main`);
    if ("workflow_dispatch" in t && !guardedToMain(job)) {
      out.push(
        `${id}: ${env} job on workflow_dispatch without if: github.ref == 'refs/heads/main'`,
      );
    }
    if (env === "production") {
      const shell = runsOf(job);
      const gate = shell.indexOf("scripts/ci/on-main.ts");
      const deploy = shell.search(/scripts\/ci\/deploy\.ts/);
      if (gate < 0 || (deploy >= 0 && gate > deploy))
        out.push(`${id}: production job does not run on-main.ts before deploying`);
      const firstCheckout = (job.steps ?? []).findIndex(
        (s) => s.uses?.startsWith("actions/checkout") === true,
      );
      const gateStep = (job.steps ?? []).findIndex((s) =>
        (s.run ?? "").includes("scripts/ci/on-main.ts"),
      );
      const checkoutRef = JSON.stringify(job.steps?.[firstCheckout]?.with?.ref ?? null);
      if (
        firstCheckout >= 0 &&
        gateStep > firstCheckout &&
        /inputs\.|github\.event\./.test(checkoutRef)
      ) {
        out.push(
          `${id}: production job checks out the requested commit before on-main.ts has accepted it`,
        );
      }
    }
  }
  return out;
};

/** The stacks a job deploys or destroys: literal `--stack <name>`, or "feature" for a variable/feature stack. */
export function deployedStacks(job: Job): string[] {
  const stacks: string[] = [];
  for (const line of runsOf(job).split("\n")) {
    if (/scripts\/ci\/destroy-feature\.ts/.test(line)) stacks.push("feature");
    if (!/scripts\/ci\/deploy\.ts/.test(line)) continue;
    const literal = /--stack\s+"?([a-z][a-z0-9-]*)"?(\s|$)/.exec(line)?.[1];
    stacks.push(literal === undefined || literal.startsWith("feature-") ? "feature" : literal);
  }
  return stacks;
}

/**
 * Rule (e): the environment a job uses is the stack it deploys — qa from `qa`, staging from
 * `staging`, production from `production`, feature stacks from `preview` — so every credential is
 * the deploying stack's own.
 */
export const environmentMatchesStack: Rule = (wf) => {
  const out: string[] = [];
  for (const [id, job] of Object.entries(wf.jobs)) {
    const env = environmentOf(job);
    for (const stack of deployedStacks(job)) {
      const expected = stack === "feature" ? "preview" : stack;
      if (env !== expected)
        out.push(
          `${id}: deploys ${stack} from environment ${env ?? "(none)"}, expected ${expected}`,
        );
    }
  }
  return out;
};

/**
 * Rule (f): long-lived credentials (passphrase, Pulumi token, cloud keys, kubeconfigs, also
 * prefixed like STAGING_STATE_…) are referenced only inside jobs gated by an environment.
 */
export const longLivedSecretsOnlyGated: Rule = (wf) => {
  const out: string[] = [];
  const top = secretsIn(wf.env).filter((n) => LONG_LIVED_SECRET.test(n));
  if (top.length > 0) out.push(`workflow-level env references ${top.join(", ")}`);
  for (const [id, job] of Object.entries(wf.jobs)) {
    const names = secretsIn(job).filter((n) => LONG_LIVED_SECRET.test(n));
    if (names.length > 0 && environmentOf(job) === undefined)
      out.push(`${id}: references ${names.join(", ")} outside an environment`);
  }
  return out;
};

/**
 * Rule (g): an OIDC token (`id-token: write`) only in jobs gated by an environment and never at
 * workflow level: the cluster trusts a job's token only with its `environment` claim, and a job
 * outside an environment has no business asking for one.
 */
export const idTokenOnlyInEnvironments: Rule = (wf) => {
  const out: string[] = [];
  const top = (wf as { permissions?: Record<string, string> }).permissions;
  if (top?.["id-token"] === "write") out.push("workflow-level permissions grant id-token: write");
  for (const [id, job] of Object.entries(wf.jobs)) {
    if (job.permissions?.["id-token"] === "write" && environmentOf(job) === undefined) out.push(`${id}: id-token: write outside an environment`);
  }
  return out;
};

/** Every rule, by the letter the design notes use. */
export const RULES: Record<string, Rule> = {
  "a: secrets only in jobs with an environment": secretsOnlyInEnvironments,
  "b: no secrets in workflows a branch controls": noSecretsOnBranchTriggers,
  "c: pull_request_target/workflow_run never run the PR's code": privilegedTriggersRunNoPrCode,
  "d: staging and production only from main": protectedEnvironmentsOnlyFromMain,
  "e: each job's environment is the stack it deploys": environmentMatchesStack,
  "f: long-lived credentials only in environment-gated jobs": longLivedSecretsOnlyGated,
  "g: OIDC tokens only in environment-gated jobs": idTokenOnlyInEnvironments,
};
