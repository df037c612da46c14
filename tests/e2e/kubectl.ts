/** kubectl against the local cluster, for the e2e specs: the admin kubeconfig unless told otherwise. */
import { spawnSync, SpawnSyncReturns } from "child_process";
import { clusterPaths, run } from "../../scripts/local/env";

/** `kubectl ARGS` (with `input` on its stdin); its stdout, or a LocalError naming the first two arguments and the output. */
export function kubectl(args: string[], kubeconfig = clusterPaths().admin, input?: string): string {
  return run(`kubectl ${args.slice(0, 2).join(" ")}`, "kubectl", ["--kubeconfig", kubeconfig, ...args], { input });
}

/** `kubectl ARGS` whatever its outcome (a NotFound is an answer): its status, stdout and stderr. */
export function kubectlResult(args: string[], kubeconfig = clusterPaths().admin): SpawnSyncReturns<string> {
  return spawnSync("kubectl", ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });
}

/** `kubectl apply -f -` of one object (as JSON). */
export function kubectlApply(object: unknown): string {
  return kubectl(["apply", "-f", "-"], clusterPaths().admin, JSON.stringify(object));
}

/** `kubectl ARGS -o json`, parsed. */
export function kubectlJson<T = any>(args: string[]): T {
  return JSON.parse(kubectl([...args, "-o", "json"])) as T;
}
