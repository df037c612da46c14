import * as assert from "assert";
import { RecordedResource } from "./support/mocks";
import { ProgramRun, runProgram } from "./support/program";

/**
 * Staging/production parity by construction: the two resource graphs (app stack plus the
 * cluster stack's guardrails for that namespace) may differ only by the deltas listed here.
 */
type Graph = Map<string, Map<string, unknown>>;

/** Where staging and production may differ, and why. Paths are matched against `key path`. */
const ALLOWED: { why: string; pattern: RegExp }[] = [
  { why: "hosts", pattern: /:(IngressRoute|Ingress)\/[\w-]+ spec\.(routes\.\d+\.match|rules\.\d+\.host|tls\.\d+\.hosts\.\d+)$/ },
  { why: "hosts", pattern: /:ConfigMap\/[\w-]+-config data\.PUBLIC_URL$/ },
  { why: "environment name", pattern: /:ConfigMap\/[\w-]+-config data\.(APP_ENV|ENVIRONMENT_NAME)$/ },
  { why: "secret refs", pattern: /:Deployment\/[\w-]+ spec\.template\.spec\.containers\.0\.envFrom\.1\.secretRef\.name$/ },
  { why: "secret refs", pattern: /:Job\/[\w-]+-migrate-\w+ spec\.template\.spec\.containers\.0\.envFrom\.1\.secretRef\.name$/ },
  { why: "alert severity (staging warns, production pages)", pattern: /:PrometheusRule\/[\w-]+ spec\.groups\.0\.rules\.\d+\.labels\.severity$/ },
  // Rule 0 is HighErrorRate (ALERT_NAMES order): seed 001's thresholds differ by kind (base.ts).
  { why: "error-rate threshold and its wait (staging 10%/5m, production 5%/2m)", pattern: /:PrometheusRule\/[\w-]+ spec\.groups\.0\.rules\.0\.(expr|for|annotations\.(summary|description))$/ },
  { why: "basic auth guards staging only", pattern: /:(IngressRoute)\/[\w-]+ spec\.routes\.0\.middlewares(\.0\.name)?$/ },
  { why: "basic auth guards staging only", pattern: /^(kubernetes:core\/v1:Secret\/basic-auth|kubernetes:traefik\.io\/v1alpha1:Middleware\/basic-auth|random:index\/randomPassword:RandomPassword\/\S*basic-auth-password) \*$/ },
  { why: "data refresh runs in staging only", pattern: /^(kubernetes:batch\/v1:CronJob\/data-refresh|kubernetes:networking\.k8s\.io\/v1:NetworkPolicy\/allow-data-refresh-egress) \*$/ },
  { why: "replicas, where stack config sets autoscaling", pattern: /:HorizontalPodAutoscaler\/[\w-]+ spec\.(minReplicas|maxReplicas)$/ },
  { why: "config checksum (follows the ConfigMaps' allowed deltas)", pattern: /:Deployment\/[\w-]+ spec\.template\.metadata\.annotations\.team-environments\.dev\/config-hash$/ },
  { why: "production never retries a migration", pattern: /:Job\/[\w-]+-migrate-\w+ spec\.backoffLimit$/ },
  { why: "production protects its namespace and stateful objects", pattern: / protect$/ },
];

function flatten(value: unknown, prefix: string, out: Map<string, unknown>) {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, "[]");
    value.forEach((v, i) => flatten(v, `${prefix}.${i}`, out));
  } else if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(prefix, "{}");
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
}

/** One environment's graph: resources keyed by type and name, with the environment name folded out. */
function graph(env: string, ...runs: ProgramRun[]): Graph {
  const result: Graph = new Map();
  const fold = (v: unknown) => (typeof v === "string" ? v.split(env).join("<env>") : v);
  const inEnv = (r: RecordedResource) =>
    r.inputs.metadata?.namespace === env || (r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata?.name === env);
  for (const run of runs) {
    for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      if (r.type.startsWith("kubernetes:") && !inEnv(r)) continue;
      const name = r.inputs.metadata?.name ? fold(r.inputs.metadata.name) : r.name.split(env).join("<env>");
      const flat = new Map<string, unknown>();
      flatten(r.inputs, "", flat);
      const folded = new Map([...flat].map(([k, v]) => [k, fold(v)]));
      folded.set("protect", r.protect);
      result.set(`${r.type}/${name}`, folded);
    }
  }
  return result;
}

/** Every difference between two graphs, as `key path` (`key *` for a resource only one side has). */
function diff(a: Graph, b: Graph): string[] {
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (!x || !y) {
      out.push(`${key} *`);
      continue;
    }
    for (const path of new Set([...x.keys(), ...y.keys()])) {
      if (x.get(path) !== y.get(path)) out.push(`${key} ${path}`);
    }
  }
  return out.sort();
}

function unexplained(differences: string[]): string[] {
  return differences.filter((d) => !ALLOWED.some((a) => a.pattern.test(d)));
}

describe("staging/production parity", function () {
  this.timeout(60000);
  let cluster: ProgramRun;
  let staging: ProgramRun;
  let production: ProgramRun;
  before(async () => {
    cluster = await runProgram("cluster");
    staging = await runProgram("staging");
    production = await runProgram("production");
  });

  it("differs only by the allowed deltas", () => {
    const differences = diff(graph("staging", staging, cluster), graph("production", production, cluster));
    assert.ok(differences.length > 10, "the environments do differ (hosts, secret refs, …)");
    assert.deepStrictEqual(unexplained(differences), []);
  });

  it("compares the guardrails too (quota, network policies, deployer RBAC)", () => {
    const keys = [...graph("staging", cluster).keys()];
    for (const kind of ["ResourceQuota", "LimitRange", "NetworkPolicy/default-deny", "Role/ci-deployer"]) {
      assert.ok(keys.some((k) => k.includes(kind)), kind);
    }
  });

  it("fails when production's limits drift from staging's", () => {
    const drifted = { ...production, resources: structuredClone(production.resources) };
    const d = drifted.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata.name === "core-api")!;
    d.inputs.spec.template.spec.containers[0].resources.limits.memory = "2Gi";
    const differences = unexplained(diff(graph("staging", staging, cluster), graph("production", drifted, cluster)));
    assert.deepStrictEqual(differences, [
      "kubernetes:apps/v1:Deployment/core-api spec.template.spec.containers.0.resources.limits.memory",
    ]);
  });

  it("accepts the replica delta that stack config allows (autoscaling bounds)", async () => {
    const wider = await runProgram("production", { autoscaling: { maxReplicas: 12 } });
    const differences = diff(graph("staging", staging, cluster), graph("production", wider, cluster));
    assert.ok(differences.includes("kubernetes:autoscaling/v2:HorizontalPodAutoscaler/pwa spec.maxReplicas"));
    assert.deepStrictEqual(unexplained(differences), []);
  });

  it("fails when a service exists on one side only", () => {
    const fewer = { ...production, resources: structuredClone(production.resources) };
    fewer.resources = fewer.resources.filter((r) => !(r.inputs.metadata?.name === "pwa" && r.type === "kubernetes:core/v1:Service"));
    assert.deepStrictEqual(unexplained(diff(graph("staging", staging, cluster), graph("production", fewer, cluster))), [
      "kubernetes:core/v1:Service/pwa *",
    ]);
  });
});
