/**
 * Which cluster `npm run demo` deploys to: the local control plane (default, built and started
 * here), or — with `--cluster current` — the cluster of the current kubeconfig context (a real
 * k3s), with no control plane built at all. Explicit on purpose: a KUBECONFIG that happens to be
 * set never sends a demo's namespaces (production among them) to a cluster by surprise.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { parse } from "yaml";
import { LocalError } from "./env";

/** A cluster to deploy to. */
export interface Target {
  local: boolean;
  /** Kubeconfig file and context (external clusters). */
  kubeconfig?: string;
  context?: string;
  /** API server URL, for the cluster stack's CI kubeconfigs (external clusters). */
  server?: string;
}

/** CRDs the program's objects need: Traefik's (shipped with k3s) and the Prometheus operator's. */
export const REQUIRED_CRDS = ["ingressroutes.traefik.io", "middlewares.traefik.io", "prometheusrules.monitoring.coreos.com"];

/** Parses the demo's flags: `--cluster local|current`. */
export function parseTarget(argv: string[], env: NodeJS.ProcessEnv = process.env): Target {
  let values: { cluster?: string };
  try {
    values = parseArgs({ args: argv, options: { cluster: { type: "string" } }, strict: true }).values;
  } catch (e) {
    throw new LocalError(`${(e as Error).message} (usage: npm run demo [-- --cluster local|current])`);
  }
  const cluster = values.cluster ?? "local";
  if (cluster === "local") return { local: true };
  if (cluster !== "current") throw new LocalError(`--cluster ${JSON.stringify(cluster)}: use local (the default) or current (the current kubeconfig context)`);
  return currentContext(env);
}

/** The parts of a kubeconfig read here. */
interface Kubeconfig {
  "current-context"?: unknown;
  contexts?: ({ name?: string; context?: { cluster?: string } } | null)[];
  clusters?: ({ name?: string; cluster?: { server?: unknown } } | null)[];
}

/** The current context of $KUBECONFIG (its first file) or ~/.kube/config. */
export function currentContext(env: NodeJS.ProcessEnv): Target {
  // Absolute, from where the user ran npm (INIT_CWD): pulumi runs in the workspace's project copy.
  const first = (env.KUBECONFIG ?? "").split(path.delimiter).find((f) => f !== "") ?? path.join(env.HOME ?? os.homedir(), ".kube", "config");
  const file = path.resolve(env.INIT_CWD ?? process.cwd(), first);
  let doc: Kubeconfig | null;
  try {
    doc = parse(fs.readFileSync(file, "utf8")) as Kubeconfig | null;
  } catch (e) {
    throw new LocalError(`--cluster current: cannot read kubeconfig ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const context = doc?.["current-context"];
  if (typeof context !== "string" || context === "") throw new LocalError(`--cluster current: ${file} has no current-context`);
  const ctx = (doc?.contexts ?? []).find((c) => c?.name === context)?.context;
  const server = (doc?.clusters ?? []).find((c) => c?.name === ctx?.cluster)?.cluster?.server;
  if (typeof server !== "string" || !server.startsWith("https://")) {
    throw new LocalError(`--cluster current: context ${context} in ${file} names no cluster with an https server`);
  }
  return { local: false, kubeconfig: file, context, server };
}

/** Checks that the external cluster answers and has the CRDs the program needs; one line naming what is missing. */
export function checkTarget(t: Target, env: NodeJS.ProcessEnv): void {
  if (t.local) return;
  const kubectl = (args: string[]) =>
    spawnSync("kubectl", ["--kubeconfig", t.kubeconfig!, "--context", t.context!, "--request-timeout=20s", ...args], { env, encoding: "utf8" });
  const version = kubectl(["version", "-o", "json"]);
  if (version.error) throw new LocalError("--cluster current: kubectl is not on PATH (it checks the cluster and lists what runs)");
  if (version.status !== 0) {
    throw new LocalError(`--cluster current: ${t.server} (context ${t.context}) does not answer: ${version.stderr.trim().split("\n").pop()}`);
  }
  const crds = kubectl(["get", "crd", "-o", "name"]);
  if (crds.status !== 0) {
    throw new LocalError(`--cluster current: cannot list CRDs on ${t.server} (context ${t.context}): ${crds.stderr.trim().split("\n").pop()}`);
  }
  const present = new Set(crds.stdout.split("\n").map((l) => l.replace(/^customresourcedefinition\.apiextensions\.k8s\.io\//, "")));
  const missing = REQUIRED_CRDS.filter((c) => !present.has(c));
  if (missing.length > 0) {
    throw new LocalError(
      `--cluster current: ${t.server} lacks CRDs ${missing.join(", ")}: Traefik's ship with k3s; PrometheusRule comes with kube-prometheus-stack (or apply scripts/cluster/crds/)`,
    );
  }
}
