/**
 * Talking to the Pulumi CLI: argument builders and output parsers are pure (and tested); `Pulumi`
 * spawns the binary. The backend and secrets provider come from the environment the workflow
 * passes through (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE,
 * PULUMI_SECRETS_PROVIDER); their values are never printed.
 */
import { CiError, parseJson, run, type RunResult } from "./cli";

/** Backend URL schemes Pulumi accepts for PULUMI_BACKEND_URL. */
export const BACKEND_SCHEMES = ["file", "s3", "gs", "azblob", "https"] as const;

/** The config key CI sets with the image tag (conventions: `pulumi config set imageTag <sha>`). */
export const IMAGE_TAG_KEY = "imageTag";

/** The policy pack directory, relative to the repository root. */
export const POLICY_PACK_DIR = "policy";

/**
 * Checks the backend/secrets environment; returns every problem (empty = usable). Messages name
 * variables and the URL scheme only, never a secret value.
 */
export function backendProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const url = env.PULUMI_BACKEND_URL?.trim() ?? "";
  const token = env.PULUMI_ACCESS_TOKEN?.trim() ?? "";
  let cloud = false;
  if (url === "") {
    if (token === "") {
      problems.push(
        "no state backend: set PULUMI_BACKEND_URL (file://, s3://, gs://, azblob://, https://api.pulumi.com) " +
          "or PULUMI_ACCESS_TOKEN for Pulumi Cloud",
      );
    }
    cloud = true;
  } else {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
    if (scheme === undefined || !(BACKEND_SCHEMES as readonly string[]).includes(scheme)) {
      problems.push(
        `PULUMI_BACKEND_URL has scheme "${scheme ?? "(none)"}": expected one of ${BACKEND_SCHEMES.map((s) => `${s}://`).join(", ")}`,
      );
    } else if (scheme === "https") {
      cloud = true;
      if (token === "") problems.push("PULUMI_BACKEND_URL is a Pulumi Cloud URL but PULUMI_ACCESS_TOKEN is empty");
    }
  }
  const secretsProvider = env.PULUMI_SECRETS_PROVIDER?.trim() ?? "";
  const passphrase = env.PULUMI_CONFIG_PASSPHRASE ?? env.PULUMI_CONFIG_PASSPHRASE_FILE ?? "";
  if (!cloud && (secretsProvider === "" || secretsProvider === "passphrase") && passphrase === "") {
    problems.push(
      "a self-managed backend with the passphrase secrets provider needs PULUMI_CONFIG_PASSPHRASE " +
        "(or set PULUMI_SECRETS_PROVIDER to a KMS/Vault URL)",
    );
  }
  return problems;
}

/** Fails with every backend problem at once. */
export function assertBackend(env: NodeJS.ProcessEnv): void {
  const problems = backendProblems(env);
  if (problems.length > 0) throw new CiError(`Pulumi backend not configured:\n  - ${problems.join("\n  - ")}`, 2);
}

/** `pulumi stack init` arguments, with the secrets provider when one is configured (not "passphrase", the default). */
export function stackInitArgs(stack: string, secretsProvider?: string): string[] {
  const args = ["stack", "init", stack, "--non-interactive"];
  const provider = secretsProvider?.trim();
  if (provider && provider !== "passphrase") args.push("--secrets-provider", provider);
  return args;
}

/** `pulumi up` arguments: non-interactive, policy pack enforced at deploy time too. */
export function upArgs(stack: string, policyPack: string | undefined = POLICY_PACK_DIR): string[] {
  const args = ["up", "--stack", stack, "--yes", "--non-interactive", "--skip-preview", "--diff"];
  if (policyPack) args.push("--policy-pack", policyPack);
  return args;
}

/** `pulumi preview --json` arguments with the policy pack. */
export function previewArgs(stack: string, policyPack: string | undefined = POLICY_PACK_DIR): string[] {
  const args = ["preview", "--stack", stack, "--json", "--non-interactive"];
  if (policyPack) args.push("--policy-pack", policyPack);
  return args;
}

/**
 * Secrets, left out of the drift check's refresh: its identity may not read them (rbac/rules.ts:
 * driftReaderRules). A URN glob: `**` is any text, so this is every resource of type Secret.
 */
export const DRIFT_EXCLUDED = "**kubernetes:core/v1:Secret::**";

/**
 * `pulumi refresh --preview-only --json` without Secrets: compares state with the live cluster
 * without writing state or reading a Secret. `--run-program` runs the checked-out program only so
 * that the Kubernetes provider is configured from *this* job's `KUBECONFIG`: without it the
 * provider reuses the kubeconfig path the last deploy recorded in the state (another runner's
 * file, or another identity's). Resources the program adds are skipped, not reported.
 */
export function driftArgs(stack: string): string[] {
  return ["refresh", "--stack", stack, "--preview-only", "--run-program", "--json", "--non-interactive", "--exclude", DRIFT_EXCLUDED];
}

/** Stack outputs as a plain object (`pulumi stack output --json`); secrets stay masked. */
export type StackOutputs = Record<string, unknown>;

/** Parses `pulumi stack output --json`. */
export function parseStackOutputs(text: string, stack: string): StackOutputs {
  const value = parseJson(text, `outputs of stack ${stack}`);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CiError(`outputs of stack ${stack} are not a JSON object`);
  }
  return value as StackOutputs;
}

/**
 * Whether `pulumi stack ls --json` lists a stack. Names may come qualified (`org/project/stack`)
 * depending on the backend, so the last segment is compared.
 */
export function stackListed(stackLsJson: unknown, stack: string): boolean {
  if (!Array.isArray(stackLsJson)) throw new CiError("`pulumi stack ls --json` did not return a list");
  return stackLsJson.some((entry) => {
    const name = (entry as { name?: unknown } | null)?.name;
    return typeof name === "string" && name.split("/").pop() === stack;
  });
}

/** A way to run the pulumi binary (with `env` on top of this process's environment); tests substitute a fake. */
export type PulumiExec = (args: string[], captureStdout: boolean, env?: Readonly<Record<string, string>>) => Promise<RunResult>;

/** The default executor: `pulumi` from PATH (or $PULUMI_BIN), streaming its stderr. */
export const spawnPulumi: PulumiExec = (args, captureStdout, env) =>
  run(process.env.PULUMI_BIN ?? "pulumi", args, { captureStdout, extraEnv: env });

/** Thin wrapper around the CLI for one stack-aware session. */
export class Pulumi {
  /** @param exec how to run the binary (default: spawn `pulumi`). */
  constructor(private readonly exec: PulumiExec = spawnPulumi) {}

  /** Runs pulumi and fails with the command line (no secrets in it) when it exits non-zero. */
  async must(args: string[], captureStdout = false): Promise<string> {
    const result = await this.exec(args, captureStdout);
    if (result.code !== 0) throw new CiError(`pulumi ${args.join(" ")} exited with ${result.code}`);
    return result.stdout;
  }

  /** Runs pulumi (with `env` on top of this process's environment) and returns the result whatever the exit code. */
  async attempt(args: string[], captureStdout = false, env?: Readonly<Record<string, string>>): Promise<RunResult> {
    return this.exec(args, captureStdout, env);
  }

  /** Whether the stack exists in the current backend. */
  async stackExists(stack: string): Promise<boolean> {
    const text = await this.must(["stack", "ls", "--json"], true);
    return stackListed(parseJson(text, "pulumi stack ls --json"), stack);
  }

  /** The stack's outputs; `{}` for a stack that was created but never deployed. */
  async outputs(stack: string): Promise<StackOutputs> {
    return parseStackOutputs(await this.must(["stack", "output", "--json", "--stack", stack], true), stack);
  }

  /** Sets the image tag config the program reads (conventions: `pulumi config set imageTag <sha>`). */
  async setImageTag(stack: string, tag: string): Promise<void> {
    await this.must(["config", "set", IMAGE_TAG_KEY, tag, "--stack", stack]);
  }

  /** Writes `pulumi stack export` of a stack to stdout text. */
  async exportStack(stack: string): Promise<string> {
    return this.must(["stack", "export", "--stack", stack], true);
  }
}
