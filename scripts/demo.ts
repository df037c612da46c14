/**
 * `npm run demo`: the whole product on this machine. Toolchain → local control plane → local
 * `file://` backend → `pulumi up` with the policy pack for cluster, qa, staging, production and one
 * preview → what is running, and who may do what.
 *
 *   npm run demo                          on the local control plane (built and started here; real
 *                                         nodes by default, CLUSTER_NODE_KIND=kwok for fake ones)
 *   npm run demo -- --cluster current     on the current kubeconfig context (a real k3s): no
 *                                         control plane is built; the cluster needs Traefik's
 *                                         and the PrometheusRule CRDs
 */
import { createHash } from "crypto";
import { apiServerUrl, clusterUp, LocalError, ROOT, run, toolchainEnv } from "./local/env";
import { LocalStacks, localImages } from "./local/stacks";
import { checkTarget, parseTarget, Target } from "./local/target";

const STACKS = ["cluster", "qa", "staging", "production", "feature-pr-1"];

function step(text: string) {
  process.stderr.write(`\n== ${text}\n`);
}

async function main() {
  const started = Date.now();
  const target = parseTarget(process.argv.slice(2));
  step("toolchain (built from Go modules on first use, then cached)");
  const toolchain = toolchainEnv();
  if (target.local) {
    step("local control plane");
    clusterUp();
  } else {
    step(`cluster of context ${target.context} (${target.server}, from ${target.kubeconfig})`);
    checkTarget(target, toolchain);
  }
  step("policy pack dependencies");
  run("policy deps", "bash", ["scripts/policy-deps.sh"]);
  // One state backend per cluster (context and server: every k3s calls its context "default").
  const stacks = target.local ? new LocalStacks("demo", toolchain) : new LocalStacks(workspaceName(target), toolchain, { kubeconfig: target.kubeconfig });
  for (const stack of STACKS) {
    step(`pulumi up --stack ${stack} --policy-pack policy`);
    const preview = stack.startsWith("feature-pr-");
    let config: Record<string, unknown> = {};
    if (stack === "cluster") config = { apiServerUrl: target.server ?? apiServerUrl() };
    // The local nodes run the images scripts/images.sh built; the preview runs its branch's newer tag.
    else if (target.local) config = localImages(preview ? "v2" : "v1");
    else if (preview) config = { imageTag: "9b1d3c7" };
    if (!target.local) config.kubeContext = target.context;
    stacks.ensureStack(stack, config);
    // Locally, the empty Secrets a secret manager would write. Never on a real cluster: there they
    // are the secret manager's (an empty one would pre-empt it, and pods would start without their env).
    if (target.local) {
      const created = stacks.createMissingSecrets(stack);
      if (created.names.length > 0) {
        process.stderr.write(`created empty Secrets ${created.names.join(", ")} in ${created.namespace} (on a real cluster a secret manager writes them)\n`);
      }
    } else {
      const missing = stacks.missingSecrets(stack);
      if (missing.names.length > 0) {
        throw new LocalError(
          `--cluster current: ${stack} needs the Secrets ${missing.names.join(", ")} in namespace ${missing.namespace} before it deploys (your secret manager writes them; its pods wait for them)`,
        );
      }
    }
    // --refresh: the state may predate a restarted (empty) control plane.
    stacks.up(stack, ["--refresh"]);
  }

  step("environments");
  const kubectl = (args: string[]) => run("kubectl", "kubectl", args, { env: stacks.env });
  for (const stack of STACKS.filter((s) => s !== "cluster")) {
    const out = stacks.outputs(stack);
    type Deployment = { metadata: { name: string }; status: { readyReplicas?: number; replicas?: number } };
    const deployments = JSON.parse(kubectl(["get", "deployments", "-n", String(out.namespace), "-o", "json"])).items as Deployment[];
    const ready = deployments.map((d) => `${d.metadata.name} ${d.status.readyReplicas ?? 0}/${d.status.replicas ?? 0}`);
    console.log(`${stack} (namespace ${out.namespace}, image ${out.imageTag})`);
    for (const [svc, url] of Object.entries(out.urls ?? {})) console.log(`  ${svc}: ${url}`);
    console.log(`  ready: ${ready.join(", ")}`);
  }

  step("access and reachability (policy pack report)");
  const exports = STACKS.map((s) => stacks.exportTo(s));
  const cluster = exports[0];
  for (const file of exports.slice(1)) {
    console.log(run("report", "npx", ["--no-install", "ts-node", "--transpile-only", "policy/cli/report.ts", "--stack", file, "--cluster", cluster], { cwd: ROOT }));
  }
  const after = target.local
    ? "stop the cluster with npm run cluster:down"
    : `to remove it: source ${stacks.writeEnvFile()}, then in ${stacks.project} pulumi destroy each stack, previews first and cluster last (production's namespace and database are protected: pulumi state unprotect --all first)`;
  process.stderr.write(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(0)} s; state in ${stacks.dir}; ${after}\n`);
}

/** `demo-<context>-<hash of the server>`: a workspace per cluster. */
function workspaceName(t: Target): string {
  const server = createHash("sha256").update(t.server ?? "").digest("hex").slice(0, 8);
  return `demo-${t.context!.replace(/[^A-Za-z0-9_.-]/g, "_")}-${server}`;
}

main().catch((e) => {
  console.error(e instanceof LocalError ? `demo: ${e.message}` : e);
  process.exit(1);
});
