/**
 * `npm run bench:e2e`: a preview environment up-to-Ready and destroyed with `pulumi up` /
 * `pulumi destroy`, against `kubectl apply --server-side` + `kubectl rollout status` /
 * `kubectl delete namespace` of the same rendered manifests, on the same local control plane,
 * alternating, and printed as ratios. Goal: ≤ 1.3× for up, ≤ 1.2× for destroy.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { clusterDown, clusterPaths, clusterUp, run, toolchainEnv } from "../scripts/local/env";
import { LocalStacks } from "../scripts/local/stacks";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SERVER_FIELDS = ["uid", "resourceVersion", "managedFields", "creationTimestamp", "generation", "annotations"];

function seconds<T>(fn: () => T): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The stack's Kubernetes objects as the program rendered them (inputs), moved to namespace `to`. */
function render(exportFile: string, from: string, to: string): string {
  const doc = JSON.parse(fs.readFileSync(exportFile, "utf8"));
  const objects: any[] = [];
  for (const r of doc.deployment.resources as any[]) {
    if (!r.type.startsWith("kubernetes:") || !r.custom || !r.inputs?.kind) continue;
    const o = JSON.parse(JSON.stringify(r.inputs).split(from).join(to));
    delete o.status;
    // Pulumi's bookkeeping in the provider's outputs (__inputs, __fieldManager, …).
    for (const k of Object.keys(o)) if (k.startsWith("__")) delete o[k];
    for (const f of SERVER_FIELDS) delete o.metadata[f];
    // Secret values are encrypted in the export; a stand-in of the same shape will do.
    if (o.kind === "Secret" && (o.data?.["4dabf18193072939515e22adb298388d"] || o.stringData?.["4dabf18193072939515e22adb298388d"])) {
      o.stringData = { username: "app", password: "bench", database: "app" };
      delete o.data;
    }
    objects.push(o);
  }
  objects.sort((a, b) => Number(b.kind === "Namespace") - Number(a.kind === "Namespace"));
  return objects.map((o) => stringify(o)).join("---\n");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const toolchain = toolchainEnv();
  const started = clusterUp();
  run("policy deps", "bash", ["scripts/policy-deps.sh"]);
  const stacks = new LocalStacks("bench-e2e", toolchain, { fresh: true });
  const env = { ...stacks.env, KUBECONFIG: clusterPaths().admin };
  const kubectl = (args: string[], input?: string) => run(`kubectl ${args[0]}`, "kubectl", args, { env, input });
  const results = { pulumiUp: [] as number[], kubectlUp: [] as number[], pulumiDestroy: [] as number[], kubectlDestroy: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const stack = `feature-pr-${900 + round}`;
      const copy = `feature-pr-${950 + round}`;
      stacks.ensureStack(stack, { imageTag: "9b1d3c7" });
      results.pulumiUp.push(seconds(() => stacks.pulumi(["up", "--stack", stack, "--yes", "--skip-preview"])));
      const manifests = render(stacks.exportTo(stack), stack, copy);
      fs.writeFileSync(path.join(stacks.dir, `${copy}.yaml`), manifests);
      results.kubectlUp.push(
        seconds(() => {
          kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], manifests);
          kubectl(["wait", "--for=condition=complete", "job", "--all", "-n", copy, "--timeout=300s"]);
          for (const d of kubectl(["get", "deployments", "-n", copy, "-o", "name"]).split("\n").filter(Boolean)) {
            kubectl(["rollout", "status", d, "-n", copy, "--timeout=300s"]);
          }
        }),
      );
      results.pulumiDestroy.push(seconds(() => stacks.pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"])));
      results.kubectlDestroy.push(seconds(() => kubectl(["delete", "namespace", copy, "--wait=true", "--timeout=300s"])));
      stacks.pulumi(["stack", "rm", stack, "--yes"]);
    }
  } finally {
    if (started) clusterDown();
  }
  const line = (what: string, a: number[], b: number[], goal: number) => {
    const ratios = a.map((x, i) => x / b[i]);
    console.log(
      `${what}: pulumi ${median(a).toFixed(1)} s, kubectl ${median(b).toFixed(1)} s, ratio median ${median(ratios).toFixed(2)} ` +
        `(min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}; goal ≤ ${goal})`,
    );
  };
  console.log(`bench:e2e, ${ROUNDS} rounds, one preview environment (namespace, guardrails, 4 services, Postgres, migrations)`);
  line("up to Ready", results.pulumiUp, results.kubectlUp, 1.3);
  line("destroy", results.pulumiDestroy, results.kubectlDestroy, 1.2);
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
