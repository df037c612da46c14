/**
 * Drives the real Pulumi CLI against the local cluster with a local `file://` backend. The
 * program runs from a copy of the repository (node_modules linked), so stack init and config
 * changes never touch the work tree.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { ConfigError, Settings, settingsOf } from "../../config";
import { cacheDir, clusterPaths, LocalError, localWorkspaceEnv, ROOT, run } from "./env";

/** Which policy-config file applies to a stack. */
export function policyConfigFor(stack: string): string {
  const kind = stack.startsWith("feature-pr-") ? "feature" : stack === "cluster" ? "cluster" : stack;
  const file = path.join(ROOT, "policy", "config", `${kind}.json`);
  return fs.existsSync(file) ? file : path.join(ROOT, "policy", "config", "feature.json");
}

/**
 * Stack config that points a stack at the local images (scripts/images.sh builds them and each
 * real node's containerd holds them; tags v1, v2), as a user points stacks at a registry.
 */
export function localImages(tag: "v1" | "v2" = "v1") {
  return { imageRegistry: "team-environments.local/app", imageTag: tag, database: { image: "team-environments.local/postgres:15" } };
}

const SKIP = new Set([".git", "node_modules", "bin", ".pulumi"]);

function copyTree(from: string, to: string) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isFile()) fs.copyFileSync(src, dst);
  }
}

/** The outputs of a stack, as `pulumi stack output --json` prints them (see README). */
export interface StackOutputs {
  namespace?: string;
  imageTag?: string;
  imageTags?: Record<string, string>;
  urls?: Record<string, string>;
  [key: string]: unknown;
}

/** A workspace: project copy + backend + passphrase + kubeconfig. */
export class LocalStacks {
  readonly dir: string;
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;

  /** `opts.kubeconfig`: the cluster to deploy to (default: the local control plane's admin kubeconfig). */
  constructor(name: string, toolchain: NodeJS.ProcessEnv, opts: { fresh?: boolean; kubeconfig?: string } = {}) {
    this.dir = path.join(cacheDir(), "workspaces", name);
    this.project = path.join(this.dir, "project");
    if (opts.fresh) fs.rmSync(this.dir, { recursive: true, force: true });
    fs.rmSync(this.project, { recursive: true, force: true });
    copyTree(ROOT, this.project);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.project, "node_modules"));
    fs.symlinkSync(path.join(ROOT, "policy", "node_modules"), path.join(this.project, "policy", "node_modules"));
    this.env = {
      ...localWorkspaceEnv(this.dir, toolchain),
      KUBECONFIG: opts.kubeconfig ?? clusterPaths().admin,
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
  }

  /** Writes `env.sh` (the toolchain on PATH, this backend, passphrase and kubeconfig) for running pulumi here by hand; returns its path. */
  writeEnvFile(): string {
    const keys = [
      "PATH",
      "PULUMI_BACKEND_URL",
      "PULUMI_HOME",
      "PULUMI_CONFIG_PASSPHRASE",
      "KUBECONFIG",
      "PULUMI_SKIP_UPDATE_CHECK",
      "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
      "PULUMI_IGNORE_AMBIENT_PLUGINS",
    ];
    const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
    const file = path.join(this.dir, "env.sh");
    fs.writeFileSync(file, keys.filter((k) => this.env[k] !== undefined).map((k) => `export ${k}=${quote(this.env[k]!)}\n`).join(""));
    return file;
  }

  /** Runs `pulumi ARGS` in the project copy (`env` overrides this workspace's, e.g. another KUBECONFIG). */
  pulumi(args: string[], step = `pulumi ${args.slice(0, 2).join(" ")}`, env: NodeJS.ProcessEnv = {}): string {
    return run(step, "pulumi", [...args, "--non-interactive"], { cwd: this.project, env: { ...this.env, ...env } });
  }

  /** Creates the stack if needed and merges `config` into its config file. */
  ensureStack(stack: string, config: Record<string, unknown> = {}) {
    if (!this.stacks().includes(stack)) this.pulumi(["stack", "init", stack], `pulumi stack init ${stack}`);
    const file = path.join(this.project, `Pulumi.${stack}.yaml`);
    const doc = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) ?? {}) : {};
    doc.config = { ...(doc.config ?? {}) };
    for (const [k, v] of Object.entries(config)) doc.config[k.includes(":") ? k : `team-environments:${k}`] = v;
    fs.writeFileSync(file, stringify(doc));
  }

  /** {@link requiredSecrets} of a stack of this workspace, from its config as `pulumi config` reads it (project values, stack file, secrets decrypted). */
  requiredSecrets(stack: string): { namespace?: string; names: string[] } {
    const out = this.pulumi(["config", "--json", "--show-secrets", "--stack", stack], `pulumi config --stack ${stack}`);
    const config: Record<string, string> = {};
    for (const [key, entry] of Object.entries(JSON.parse(out) as Record<string, { value?: string }>)) if (entry.value !== undefined) config[key] = entry.value;
    return requiredSecrets(stack, config);
  }

  /** The stack's required Secrets that its namespace lacks. */
  missingSecrets(stack: string): { namespace?: string; names: string[] } {
    const { namespace, names } = this.requiredSecrets(stack);
    if (namespace === undefined || names.length === 0) return { namespace, names };
    const out = run("kubectl get secrets", "kubectl", ["get", "secrets", "-n", namespace, "-o", "name", "--ignore-not-found"], { env: this.env });
    const existing = new Set(out.split("\n").map((l) => l.replace(/^secret\//, "")));
    return { namespace, names: names.filter((n) => !existing.has(n)) };
  }

  /** Creates the stack's missing required Secrets, empty (what a local cluster's secret manager would do); returns them. */
  createMissingSecrets(stack: string): { namespace?: string; names: string[] } {
    const missing = this.missingSecrets(stack);
    const namespace = missing.namespace;
    if (namespace !== undefined) for (const name of missing.names) run("kubectl create secret", "kubectl", ["create", "secret", "generic", name, "-n", namespace], { env: this.env });
    return missing;
  }

  /** Names of the stacks in this workspace's backend. */
  stacks(): string[] {
    return (JSON.parse(this.pulumi(["stack", "ls", "--json"], "pulumi stack ls")) as { name: string }[]).map((s) => s.name);
  }

  /**
   * The stack's policy config (policy/config/<kind>.json) completed from real state: the cluster
   * stack's export for the RBAC, network and parity rules, and `firstDeploy` for staging or
   * production while its peer has no state (the pack reads the peer through the backend).
   */
  policyConfig(stack: string, overrides: Record<string, unknown> = {}): string {
    const config = JSON.parse(fs.readFileSync(policyConfigFor(stack), "utf8")) as Record<string, unknown>;
    const rule = (id: string): Record<string, unknown> => {
      const v = config[id];
      const obj = typeof v === "object" && v !== null ? (v as Record<string, unknown>) : typeof v === "string" ? { enforcementLevel: v } : {};
      config[id] = obj;
      return obj;
    };
    const existing = this.stacks();
    if (stack !== "cluster" && existing.includes("cluster")) {
      const clusterExport = this.exportTo("cluster");
      for (const id of ["no-developer-write-in-locked-namespaces", "rbac-visibility", "network-isolation", "staging-production-parity"]) {
        rule(id).clusterStackExport = clusterExport;
      }
    }
    // The parity rule reads the peer (staging for production, and back) through the backend itself.
    // This workspace is a new installation: until the peer has state, its first deploy says so.
    if (stack === "staging" || stack === "production") {
      const peer = stack === "staging" ? "production" : "staging";
      if (!existing.includes(peer) || !hasResources(this.exportTo(peer))) rule("staging-production-parity").firstDeploy = true;
    }
    Object.assign(config, overrides);
    const file = path.join(this.dir, `policy-config.${stack}.json`);
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }


  /** `pulumi up` with the policy pack. */
  up(stack: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): string {
    return this.pulumi(
      ["up", "--stack", stack, "--yes", "--skip-preview", "--policy-pack", "policy", "--policy-pack-config", this.policyConfig(stack), ...extra],
      `pulumi up --stack ${stack}`,
      env,
    );
  }

  /** `pulumi preview` with the policy pack; returns exit status and output instead of throwing. */
  preview(stack: string, extra: string[] = [], policyOverrides: Record<string, unknown> = {}): { ok: boolean; output: string } {
    try {
      const config = this.policyConfig(stack, policyOverrides);
      return { ok: true, output: this.pulumi(["preview", "--stack", stack, "--policy-pack", "policy", "--policy-pack-config", config, ...extra]) };
    } catch (e) {
      if (e instanceof LocalError) return { ok: false, output: e.message };
      throw e;
    }
  }

  /** Stack outputs (secrets shown). */
  outputs(stack: string): StackOutputs {
    return JSON.parse(this.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack]));
  }

  /** `pulumi stack export` to a file; returns its path. */
  exportTo(stack: string): string {
    const file = path.join(this.dir, `${stack}.export.json`);
    fs.writeFileSync(file, this.pulumi(["stack", "export", "--stack", stack]));
    return file;
  }
}

/**
 * The Secrets a stack's services take their env from and wait for (qa, staging, production and
 * any stack of those kinds; a preview's are optional), and their namespace, from the stack's whole
 * config as the engine passes it (`project:key` → string), read by the program's own config reader
 * (`secretRefs`, `environmentKind`, …). On a real cluster a secret manager writes them before the
 * first deploy.
 */
export function requiredSecrets(stack: string, config: Record<string, string>): { namespace?: string; names: string[] } {
  let settings: Settings;
  try {
    settings = settingsOf(stack, config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new LocalError(`${stack}: cannot tell which Secrets it needs, its config is invalid: ${e.problems.join("; ")}`);
  }
  if (settings.kind === "cluster") return { names: [] };
  return { namespace: settings.app.namespace, names: settings.app.optionalSecrets ? [] : settings.app.services.map((s) => s.secretRef) };
}

/** Whether an export file holds more than the stack resource itself. */
function hasResources(exportFile: string): boolean {
  const doc = JSON.parse(fs.readFileSync(exportFile, "utf8")) as { deployment?: { resources?: unknown[] } };
  return (doc.deployment?.resources?.length ?? 0) > 1;
}
