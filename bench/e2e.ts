/**
 * `npm run bench:e2e`: a preview environment up-to-Ready and destroyed with `pulumi up` /
 * `pulumi destroy` (the PR-close teardown's own step, scripts/ci/destroy-feature.ts), against
 * `kubectl apply --server-side` + `kubectl rollout status` / `kubectl delete namespace` of the same
 * rendered manifests, on the same local control plane, alternating, and printed as ratios. Goal:
 * ≤ 1.3× for up, ≤ 1.2× for destroy.
 *
 * kubectl applies everything at once; the program promises an order (guardrails before pods, the
 * database Ready before migrations, migrations complete before the rollouts that need them), which
 * costs waiting. So `up` is also set against kubectl applying the same objects in that order
 * (bench/manifests.ts, from the engine's own dependency graph): the engine's cost for the same
 * guarantees.
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
import { clusterDown, clusterNodeKind, clusterPaths, clusterUp, LocalError, run, toolchainEnv } from "../scripts/local/env";
import { LocalStacks, localImages } from "../scripts/local/stacks";
import { destroyStep } from "../scripts/ci/destroy-feature";
import { Breakdown, breakdown, timedWithEvents } from "./phases";
import { benchRounds, median, seconds } from "./measure";
import { isAwaited, promisedSteps, renderObjects, toYaml, waitArgs } from "./manifests";

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
  const results = { pulumiUp: [] as number[], kubectlUp: [] as number[], orderedUp: [] as number[], pulumiDestroy: [] as number[], kubectlDestroy: [] as number[] };
  const phases = { up: [] as Breakdown[], destroy: [] as Breakdown[] };
  const fixed = { preview: [] as number[], previewWithPack: [] as number[], version: [] as number[] };
  const eventLog = path.join(stacks.dir, "events.jsonl");
  const pulumi = async (args: string[], into: Breakdown[], extraEnv: Readonly<Record<string, string>> = {}): Promise<number> => {
    const all = args.includes("--non-interactive") ? args : [...args, "--non-interactive"];
    const r = await timedWithEvents("pulumi", all, { cwd: stacks.project, env: { ...stacks.env, ...extraEnv }, eventLog });
    into.push(breakdown(r));
    return r.seconds;
  };
  // The stack export kubectl's sides render their manifests from: the engine's latest `up`.
  let rendered: { doc: unknown; stack: string } | undefined;
  try {
    for (let round = 0; round < rounds; round++) {
      const stack = `feature-pr-${900 + round}`;
      const copy = `feature-pr-${950 + round}`;
      const ordered = `feature-pr-${970 + round}`;
      const engineUp = async () => {
        stacks.ensureStack(stack, kind === "real" ? localImages("v1") : { imageTag: "9b1d3c7" });
        results.pulumiUp.push(await pulumi(["up", "--stack", stack, "--yes", "--skip-preview"], phases.up));
        rendered = { doc: JSON.parse(fs.readFileSync(stacks.exportTo(stack), "utf8")), stack };
      };
      const kubectlUps = () => {
        const { doc, stack: from } = rendered!;
        const objects = renderObjects(doc, from, copy).map((r) => r.object);
        const manifests = toYaml(objects);
        fs.writeFileSync(path.join(stacks.dir, `${copy}.yaml`), manifests);
        results.kubectlUp.push(
          seconds(() => {
            kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], manifests);
            for (const o of objects.filter(isAwaited)) kubectl(waitArgs(o));
          }),
        );
        // The same objects in the order the program's graph promises (guardrails before pods, the
        // database rolled out before migrations, migrations complete before the rollouts that need them).
        const promised = promisedSteps(renderObjects(doc, from, ordered));
        results.orderedUp.push(
          seconds(() => {
            for (const step of promised.steps) {
              kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], toYaml(step.apply));
              for (const o of step.awaitBeforeNext) kubectl(waitArgs(o));
            }
            for (const o of promised.rest) kubectl(waitArgs(o));
          }),
        );
      };
      // Which side goes first alternates (kubectl's sides then render the previous round's export: the same
      // objects under other names), so each meets the other's namespace present in half the rounds.
      if (round % 2 === 1) {
        kubectlUps();
        await engineUp();
      } else {
        await engineUp();
        kubectlUps();
      }
      fixed.preview.push(seconds(() => stacks.pulumi(["preview", "--stack", stack])));
      const packConfig = stacks.policyConfig(stack);
      fixed.previewWithPack.push(seconds(() => stacks.pulumi(["preview", "--stack", stack, "--policy-pack", "policy", "--policy-pack-config", packConfig])));
      fixed.version.push(seconds(() => run("pulumi version", "pulumi", ["version"], { env: stacks.env })));
      // The teardown the PR-close workflow runs (scripts/ci/destroy-feature.ts), against
      // `kubectl delete namespace`; which goes first alternates too.
      kubectl(["delete", "namespace", ordered, "--wait=true", "--timeout=300s"]);
      const teardown = destroyStep(stack);
      const destroys = [
        async () => results.pulumiDestroy.push(await pulumi(teardown.args, phases.destroy, teardown.env)),
        async () => results.kubectlDestroy.push(seconds(() => kubectl(["delete", "namespace", copy, "--wait=true", "--timeout=300s"]))),
      ];
      for (const destroy of round % 2 === 0 ? destroys : destroys.reverse()) await destroy();
      stacks.pulumi(["stack", "rm", stack, "--yes"]);
    }
  } finally {
    if (started) clusterDown();
  }
  const line = (what: string, a: number[], b: number[], goal?: number) => {
    const ratios = a.map((x, i) => x / b[i]);
    console.log(
      `${what}: pulumi ${median(a).toFixed(1)} s, kubectl ${median(b).toFixed(1)} s, ratio median ${median(ratios).toFixed(2)} ` +
        `(min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}${goal ? `; goal ≤ ${goal}` : ""})`,
    );
    // Each round's pair: a bimodal side (a namespace goes in 5.4 s or 10.4 s) shows here, not in the medians.
    console.log(`  rounds (pulumi/kubectl s): ${a.map((x, i) => `${x.toFixed(1)}/${b[i].toFixed(1)}`).join(" ")}`);
  };
  console.log(`bench:e2e, ${rounds} rounds on ${kind} nodes, one preview environment (namespace, guardrails, 4 services, Postgres, migrations)`);
  line("up to Ready", results.pulumiUp, results.kubectlUp, 1.3);
  line("up to Ready, kubectl in the program's order", results.pulumiUp, results.orderedUp);
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
