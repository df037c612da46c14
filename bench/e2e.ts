/**
 * `npm run bench:e2e`: a preview environment up-to-Ready and destroyed with `pulumi up` /
 * `pulumi destroy`, against `kubectl apply --server-side` + `kubectl rollout status` /
 * `kubectl delete namespace` of the same rendered manifests, on the same local control plane,
 * alternating, and printed as ratios. Goal: ≤ 1.3× for up, ≤ 1.2× for destroy.
 *
 * Each Pulumi run is broken down by phase from the engine's event log (bench/phases.ts), and the
 * engine's fixed cost is set against its floor: `pulumi preview` of the unchanged stack against a
 * bare `pulumi version`, and the policy pack's cost is the same preview with `--policy-pack policy`
 * against it. On fake nodes (KWOK) by default: both sides wait for the same decreed
 * Readiness, so the ratio is the engine's own cost. `BENCH_NODE_KIND=real` runs the same on real
 * nodes with the local images, where both sides also wait for containers to start.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { clusterDown, clusterNodeKind, clusterPaths, clusterUp, LocalError, run, toolchainEnv } from "../scripts/local/env";
import { LocalStacks, localImages } from "../scripts/local/stacks";
import { Breakdown, breakdown, timedWithEvents } from "./phases";
import { benchRounds, median, seconds } from "./measure";

const SERVER_FIELDS = ["uid", "resourceVersion", "managedFields", "creationTimestamp", "generation", "annotations"];


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


/** Median of each phase over the rounds, and the slowest steps of the median round. */
function printPhases(what: string, runs: Breakdown[]) {
  const m = (f: (b: Breakdown) => number) => median(runs.map(f)).toFixed(1);
  console.log(
    `  ${what} phases (median s): engine start ${m((b) => b.engineStart)}, program start ${m((b) => b.programStart)}, ` +
      `resources ${m((b) => b.resources)}, finish ${m((b) => b.finish)}`,
  );
  const total = (b: Breakdown) => b.engineStart + b.programStart + b.resources + b.finish;
  const mid = [...runs].sort((a, b) => total(a) - total(b))[Math.floor(runs.length / 2)];
  console.log(`  ${what} slowest steps: ${mid.slowest.map((s) => `${s.name} ${s.seconds.toFixed(1)} s`).join(", ")}`);
}

async function main() {
  const rounds = benchRounds();
  // Fake nodes by default: both sides wait for the same decreed Readiness, so the ratio is the
  // engine's own cost. BENCH_NODE_KIND=real measures what a user meets on real nodes (containers start).
  const kind = process.env.BENCH_NODE_KIND || "kwok";
  if (kind !== "kwok" && kind !== "real") throw new LocalError(`BENCH_NODE_KIND=${kind}: expected kwok (the default) or real`);
  const toolchain = toolchainEnv();
  const started = clusterUp({ nodeKind: kind });
  if (clusterNodeKind() !== kind) {
    throw new LocalError(`bench:e2e measures on ${kind} nodes (BENCH_NODE_KIND) and a cluster of ${clusterNodeKind()} nodes is running: stop it with npm run cluster:down first`);
  }
  run("policy deps", "bash", ["scripts/policy-deps.sh"]);
  const stacks = new LocalStacks("bench-e2e", toolchain, { fresh: true });
  const env = { ...stacks.env, KUBECONFIG: clusterPaths().admin };
  const kubectl = (args: string[], input?: string) => run(`kubectl ${args[0]}`, "kubectl", args, { env, input });
  const results = { pulumiUp: [] as number[], kubectlUp: [] as number[], pulumiDestroy: [] as number[], kubectlDestroy: [] as number[] };
  const phases = { up: [] as Breakdown[], destroy: [] as Breakdown[] };
  const fixed = { preview: [] as number[], previewWithPack: [] as number[], version: [] as number[] };
  const eventLog = path.join(stacks.dir, "events.jsonl");
  const pulumi = async (args: string[], into: Breakdown[]): Promise<number> => {
    const r = await timedWithEvents("pulumi", [...args, "--non-interactive"], { cwd: stacks.project, env: stacks.env, eventLog });
    into.push(breakdown(r));
    return r.seconds;
  };
  try {
    for (let round = 0; round < rounds; round++) {
      const stack = `feature-pr-${900 + round}`;
      const copy = `feature-pr-${950 + round}`;
      stacks.ensureStack(stack, kind === "real" ? localImages("v1") : { imageTag: "9b1d3c7" });
      results.pulumiUp.push(await pulumi(["up", "--stack", stack, "--yes", "--skip-preview"], phases.up));
      fixed.preview.push(seconds(() => stacks.pulumi(["preview", "--stack", stack])));
      const packConfig = stacks.policyConfig(stack);
      fixed.previewWithPack.push(seconds(() => stacks.pulumi(["preview", "--stack", stack, "--policy-pack", "policy", "--policy-pack-config", packConfig])));
      fixed.version.push(seconds(() => run("pulumi version", "pulumi", ["version"], { env: stacks.env })));
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
      results.pulumiDestroy.push(await pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"], phases.destroy));
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
  console.log(`bench:e2e, ${rounds} rounds on ${kind} nodes, one preview environment (namespace, guardrails, 4 services, Postgres, migrations)`);
  line("up to Ready", results.pulumiUp, results.kubectlUp, 1.3);
  printPhases("up", phases.up);
  line("destroy", results.pulumiDestroy, results.kubectlDestroy, 1.2);
  printPhases("destroy", phases.destroy);
  console.log(
    `engine fixed cost: pulumi preview of the unchanged stack ${median(fixed.preview).toFixed(1)} s, ` +
      `bare pulumi version ${median(fixed.version).toFixed(2)} s, ratio ${(median(fixed.preview) / median(fixed.version)).toFixed(1)}`,
  );
  console.log(
    `policy pack: pulumi preview of the unchanged stack with --policy-pack ${median(fixed.previewWithPack).toFixed(1)} s, ` +
      `${(median(fixed.previewWithPack) - median(fixed.preview)).toFixed(1)} s more than without`,
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
