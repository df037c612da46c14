/**
 * The local toolchain and control plane, seen from TypeScript: where the cache lives, how to get
 * the Pulumi toolchain's environment, and how to start and stop the local cluster.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheRoot as cacheDir } from "../../policy/ts-loader";

/** Repository root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/**
 * `cacheDir(env?)`: the cache directory outside the work tree (toolchain, cluster binaries, local
 * state, the program's compiled modules), the same path as scripts/lib/cache.sh computes for the
 * shell scripts (an empty variable counts as unset, as bash's `:-` does; tests/local-env.spec.ts
 * checks that the two agree). Defined in policy/ts-loader.js, which the program and the pack load
 * before any TypeScript.
 */
export { cacheDir };

/** Raised for a failed local step; the message names the step. */
export class LocalError extends Error {}

/**
 * Runs a command inheriting stderr, returns stdout; throws LocalError naming the step. With
 * `progress`, the command's stdout is its progress (the build scripts' step lines): it goes to
 * this process's stderr as it comes, and nothing is returned.
 */
export function run(step: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; progress?: boolean } = {}): string {
  const res = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    input: opts.input,
    encoding: "utf8",
    stdio: ["pipe", opts.progress ? 2 : "pipe", "inherit"],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.error) throw new LocalError(`${step}: cannot run ${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new LocalError(`${step} failed (exit ${res.status}): ${cmd} ${args.join(" ")}${opts.progress ? " (its output is above)" : `\n${res.stdout.slice(-4000)}`}`);
  return res.stdout ?? "";
}

/** Builds (or reuses) the toolchain and returns the environment that puts it first on PATH. */
export function toolchainEnv(): NodeJS.ProcessEnv {
  run("toolchain", "bash", ["scripts/toolchain.sh"], { progress: true });
  const file = run("toolchain", "bash", ["scripts/toolchain.sh", "--print-env-file"]).trim();
  if (!fs.existsSync(file)) throw new LocalError(`toolchain: env file ${file} is missing`);
  const dump = run("toolchain env", "bash", ["-c", `set -a; source "${file}"; env -0`]);
  const env: NodeJS.ProcessEnv = {};
  for (const entry of dump.split("\0")) {
    const i = entry.indexOf("=");
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return env;
}

/**
 * A PULUMI_HOME of its own at `dir` (no login, stack selection or lock shared with the user's)
 * whose plugins are the toolchain's installed ones (a symlink): the engine finds each provider
 * at the exact version its SDK asks for, and without the CLI's automatic log unless
 * `TEAM_ENV_PULUMI_LOGS=1` ({@link automaticLog}). Returns `dir`.
 */
export function pulumiHome(dir: string, toolchain: NodeJS.ProcessEnv): string {
  const given = toolchain.TEAM_ENV_PULUMI_PLUGINS;
  if (!given || !fs.existsSync(given)) {
    throw new LocalError(`toolchain: TEAM_ENV_PULUMI_PLUGINS (${given ?? "unset"}) is not a plugin directory: run bash scripts/toolchain.sh`);
  }
  const plugins = fs.realpathSync(given);
  fs.mkdirSync(dir, { recursive: true });
  const home = fs.realpathSync(dir);
  if (plugins === home || plugins.startsWith(home + path.sep)) {
    throw new LocalError(`toolchain: TEAM_ENV_PULUMI_PLUGINS (${given}) lies inside ${dir}, the PULUMI_HOME it would be linked into: unset PULUMI_HOME and run bash scripts/toolchain.sh`);
  }
  const link = path.join(dir, "plugins");
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(plugins, link);
  automaticLog(dir, toolchain.TEAM_ENV_PULUMI_LOGS === "1");
  return dir;
}

/** What stands at `$PULUMI_HOME/logs` while the CLI's automatic log is off. */
export const AUTOMATIC_LOG_OFF =
  "team-environments: the Pulumi CLI's automatic log is off in this workspace: this file stands where its\n" +
  "directory would be, so the CLI writes none. Set TEAM_ENV_PULUMI_LOGS=1 to keep it (README, Tests and benchmarks).\n";

/**
 * The Pulumi CLI the toolchain builds (3.259; pulumi/pulumi#23731 made this unconditional) writes
 * every command's whole debug log, property values unredacted and encrypted with the stack's
 * secrets manager, to `$PULUMI_HOME/logs`, for `pulumi logs share`: 0.65 MB and about 0.35 s of the
 * CLI's CPU for a preview's `up`. No setting turns it off; the CLI goes on without it when `logs`
 * cannot be made a directory. So a local workspace's `logs` is a file ({@link AUTOMATIC_LOG_OFF}),
 * unless `keep`: then it is a directory again (and an earlier run's logs go once it is off).
 */
export function automaticLog(home: string, keep: boolean): void {
  const logs = path.join(home, "logs");
  if (keep) {
    if (!fs.lstatSync(logs, { throwIfNoEntry: false })?.isDirectory()) fs.rmSync(logs, { force: true });
    fs.mkdirSync(logs, { recursive: true, mode: 0o700 });
  } else {
    fs.rmSync(logs, { recursive: true, force: true });
    fs.writeFileSync(logs, AUTOMATIC_LOG_OFF);
  }
}

/**
 * The environment of a local Pulumi workspace at `dir`: the toolchain's (CLI and node on PATH, the
 * plugin settings of env.sh), a `file://` backend in `dir/state`, a PULUMI_HOME of its own
 * ({@link pulumiHome}) and a passphrase that protects nothing outside this machine.
 */
export function localWorkspaceEnv(dir: string, toolchain: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const state = path.join(dir, "state");
  fs.mkdirSync(state, { recursive: true });
  return {
    ...toolchain,
    // metadata=skip: the file backend (gocloud's fileblob) otherwise writes a `.attrs` sidecar
    // next to each state file, in place, before it renames the new state in; a run killed in
    // between leaves it empty and every later command fails with "failed to load checkpoint: EOF"
    // (seen in the killed-up e2e). The state itself is written to a temp file and renamed.
    PULUMI_BACKEND_URL: `file://${state}?metadata=skip`,
    PULUMI_HOME: pulumiHome(path.join(dir, "pulumi-home"), toolchain),
    PULUMI_CONFIG_PASSPHRASE: "team-environments-local",
  };
}

/** Paths the local cluster writes (see scripts/cluster.sh). */
export function clusterPaths() {
  const dir = path.join(cacheDir(), "cluster");
  return {
    dir,
    admin: path.join(dir, "kubeconfig"),
    developer: path.join(dir, "developer.kubeconfig"),
    qa: path.join(dir, "qa.kubeconfig"),
    ca: path.join(dir, "pki", "ca.crt"),
    /** The local OIDC issuer's signing key: tests mint GitHub-Actions-shaped tokens with it. */
    oidcSigningKey: path.join(dir, "pki", "oidc-signing.key"),
  };
}

/** The local OIDC issuer (scripts/cluster.sh: CLUSTER_OIDC_PORT) and the audience the API server accepts. */
export function oidcIssuer(): { url: string; audience: string } {
  return { url: `https://127.0.0.1:${process.env.CLUSTER_OIDC_PORT ?? "18443"}`, audience: "team-environments" };
}

/** True when the local control plane answers. */
export function clusterIsUp(): boolean {
  const res = spawnSync("bash", ["scripts/cluster.sh", "status"], { cwd: ROOT, encoding: "utf8" });
  return res.status === 0;
}

/** The kind of node the running local cluster was started with (scripts/cluster.sh: CLUSTER_NODE_KIND), if any. */
export function clusterNodeKind(): "kwok" | "real" | undefined {
  const file = path.join(clusterPaths().dir, "node-kind");
  if (!fs.existsSync(file)) return undefined;
  const kind = fs.readFileSync(file, "utf8").trim().split(/\s+/)[0];
  return kind === "kwok" || kind === "real" ? kind : undefined;
}

/**
 * Starts the local control plane (builds it first if needed); returns whether this call started it.
 * `nodeKind` sets CLUSTER_NODE_KIND (default: the script's, fake nodes).
 */
export function clusterUp(opts: { nodeKind?: "kwok" | "real"; nodes?: number } = {}): boolean {
  const wasUp = clusterIsUp();
  const env: Record<string, string> = {};
  if (opts.nodeKind !== undefined) env.CLUSTER_NODE_KIND = opts.nodeKind;
  if (opts.nodes !== undefined) env.CLUSTER_NODES = String(opts.nodes);
  if (!wasUp) run("cluster up", "bash", ["scripts/cluster.sh", "up"], { env: { ...process.env, ...env }, progress: true });
  return !wasUp;
}

/** Stops the local control plane. */
export function clusterDown(): void {
  run("cluster down", "bash", ["scripts/cluster.sh", "down"], { progress: true });
}

/** The API server URL in the admin kubeconfig. */
export function apiServerUrl(): string {
  const text = fs.readFileSync(clusterPaths().admin, "utf8");
  const m = /server:\s*(\S+)/.exec(text);
  if (!m) throw new LocalError(`cannot find the server URL in ${clusterPaths().admin}`);
  return m[1];
}
