/** kubectl against the local cluster, for the e2e specs: the admin kubeconfig unless told otherwise. */
import { clusterPaths, run } from "../../scripts/local/env";

/** `kubectl ARGS`; its stdout, or a LocalError naming the first two arguments and the output. */
export function kubectl(args: string[], kubeconfig = clusterPaths().admin): string {
  return run(`kubectl ${args.slice(0, 2).join(" ")}`, "kubectl", ["--kubeconfig", kubeconfig, ...args]);
}

/** `kubectl ARGS -o json`, parsed. */
export function kubectlJson<T = any>(args: string[]): T {
  return JSON.parse(kubectl([...args, "-o", "json"])) as T;
}
