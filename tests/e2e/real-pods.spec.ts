/**
 * End to end on real nodes (scripts/cluster.sh with CLUSTER_NODE_KIND=real): containers really run
 * from the images scripts/images.sh builds, so probes, migrations and rollouts prove what the fake
 * nodes of lifecycle.spec.ts only assume. Runs after lifecycle.spec.ts (mocha takes the files in
 * order) and owns the cluster for its run: it restarts it with real nodes and stops it at the end.
 */
import * as assert from "assert";
import { apiServerUrl, clusterDown, clusterIsUp, clusterNodeKind, clusterUp, LocalError, run, toolchainEnv } from "../../scripts/local/env";
import { LocalStacks } from "../../scripts/local/stacks";
import { kubectl, kubectlJson, kubectlResult } from "./kubectl";

const PREVIEW = "feature-pr-8";
/** What a user running the local stacks on real nodes sets: the images scripts/images.sh built. */
const LOCAL_IMAGES = {
  imageRegistry: "team-environments.local/app",
  database: { image: "team-environments.local/postgres:15" },
};

let stacks: LocalStacks;

/** GET PATH on a Service through the API server's proxy (the API server dials the pod itself). */
function viaService(namespace: string, service: string, path: string): string {
  return kubectl(["get", "--raw", `/api/v1/namespaces/${namespace}/services/${service}:http/proxy${path}`]);
}

function appConfig(tag: string, perService: Record<string, string> = {}): Record<string, unknown> {
  return { ...LOCAL_IMAGES, imageTag: tag, imageTags: perService };
}

describe("end to end on real nodes: containers, probes, migrations", function () {
  this.timeout(60 * 60 * 1000);

  before(() => {
    const toolchain = toolchainEnv();
    if (clusterIsUp()) clusterDown();
    clusterUp({ nodeKind: "real" });
    assert.strictEqual(clusterNodeKind(), "real");
    run("policy deps", "bash", ["scripts/policy-deps.sh"]);
    stacks = new LocalStacks("e2e-real", toolchain, { fresh: true });
    stacks.ensureStack("cluster", { apiServerUrl: apiServerUrl(), ciOidcRepository: "acme/shop" });
    stacks.up("cluster");
  });

  after(() => {
    if (clusterIsUp()) clusterDown();
  });

  it("brings a preview up on real pods: every Deployment Ready because its probes pass", () => {
    stacks.ensureStack(PREVIEW, appConfig("v1"));
    stacks.up(PREVIEW);
    const deployments = kubectlJson(["get", "deployments", "-n", PREVIEW]).items as any[];
    assert.ok(deployments.length >= 5, `${deployments.length} deployments`);
    for (const d of deployments) assert.strictEqual(d.status.readyReplicas, d.spec.replicas, `${d.metadata.name} ready`);
    for (const pod of (kubectlJson(["get", "pods", "-n", PREVIEW]).items as any[]).filter((p) => p.status.phase === "Running")) {
      // A real runtime reports the image it ran by digest and the pod's address from CNI.
      assert.match(pod.status.podIP, /^10\.244\.\d+\.\d+$/, `${pod.metadata.name} has a pod-network IP`);
      for (const c of pod.status.containerStatuses) {
        assert.ok(c.ready && c.state.running, `${pod.metadata.name}/${c.name} running and ready`);
        assert.match(c.imageID, /sha256:[0-9a-f]{64}$/, `${pod.metadata.name}/${c.name} ran a real image`);
      }
    }
    // The application answers through its Service with the version it was built as.
    for (const service of ["pwa", "api-gateway", "core-api", "auth"]) {
      assert.match(viaService(PREVIEW, service, "/version"), /v1/, `${service} /version`);
    }
  });

  it("ran each migrations Job to completion against the real database before its rollout", () => {
    const jobs = kubectlJson(["get", "jobs", "-n", PREVIEW]).items as any[];
    const migrations = jobs.filter((j) => j.metadata.labels?.["app.kubernetes.io/component"] === "migrations");
    assert.deepStrictEqual(migrations.map((j) => j.metadata.labels["app.kubernetes.io/name"]).sort(), ["auth", "core-api"]);
    const pods = kubectlJson(["get", "pods", "-n", PREVIEW]).items as any[];
    for (const job of migrations) {
      const service = job.metadata.labels["app.kubernetes.io/name"];
      assert.strictEqual(job.status.succeeded, 1, `${job.metadata.name} succeeded`);
      // The pod that succeeded (a Job may have retried: `kubectl logs job/…` would pick any attempt).
      const attempts = pods.filter((p) => p.metadata.labels?.["job-name"] === job.metadata.name);
      const logs = attempts.map((p) => `${p.metadata.name} (${p.status.phase}): ${kubectl(["logs", "-n", PREVIEW, p.metadata.name]).trim()}`);
      const succeeded = attempts.find((p) => p.status.phase === "Succeeded");
      assert.ok(succeeded, `${job.metadata.name} has a Succeeded pod:\n${logs.join("\n")}`);
      assert.match(kubectl(["logs", "-n", PREVIEW, succeeded.metadata.name]), /migrate: (applied version v1 to|version v1 already applied to)/, `${job.metadata.name} says what it applied:\n${logs.join("\n")}`);
      // Ordering: no pod of the service started before its migrations completed.
      const started = pods
        .filter((p) => p.metadata.labels?.["app.kubernetes.io/name"] === service && p.metadata.labels?.["app.kubernetes.io/component"] !== "migrations")
        .map((p) => Date.parse(p.metadata.creationTimestamp));
      assert.ok(started.length > 0, `${service} has pods`);
      assert.ok(Math.min(...started) >= Date.parse(job.status.completionTime), `${service}'s pods were created after ${job.metadata.name} completed`);
    }
  });

  it("stops the rollout on a broken migration with a clear error, the previous version still serving", () => {
    stacks.ensureStack(PREVIEW, appConfig("v1", { "core-api": "broken-migration" }));
    let failure = "";
    try {
      stacks.up(PREVIEW);
    } catch (e) {
      if (!(e instanceof LocalError)) throw e;
      failure = e.message;
    }
    assert.notStrictEqual(failure, "", "pulumi up succeeded with a broken migration");
    assert.match(failure, /core-api-migrate/, `the error names the migrations Job:\n${failure.slice(-2000)}`);
    const deployment = kubectlJson(["get", "deployment", "core-api", "-n", PREVIEW]);
    assert.match(deployment.spec.template.spec.containers[0].image, /:v1$/);
    assert.strictEqual(deployment.status.readyReplicas, deployment.spec.replicas);
    assert.match(viaService(PREVIEW, "core-api", "/version"), /v1/);
    // Back to a good tag, the next run converges.
    stacks.ensureStack(PREVIEW, appConfig("v1"));
    stacks.up(PREVIEW);
  });

  it("destroys the preview: its pods stop and its namespace is gone", () => {
    stacks.pulumi(["destroy", "--stack", PREVIEW, "--yes", "--skip-preview"], "pulumi destroy");
    const gone = kubectlResult(["get", "namespace", PREVIEW]);
    assert.match(gone.stderr, /NotFound/);
  });
});
