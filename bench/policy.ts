/**
 * Policy pack bench: the whole pack (every rule, fresh unknownCheckingProxy wrappers per rule, as
 * the engine runs it) on synthetic clusters of 1,000 / 5,000 / 20,000 resources made of realistic
 * feature environments plus the cluster stack's RBAC. Goal: 5,000 resources under 1 s, linear.
 *
 *   node -r ts-node/register/transpile-only bench/policy.ts
 */
import * as path from "path";
import { ResourceLike } from "../policy/analysis/objects";
import { policies } from "../policy/policies";
import { PackConfig, loadPackConfig, runPack } from "../policy/runner";
import { DEVELOPERS, binding, deployment, guardrailPolicies, namespace, res, role } from "../tests/policy/helpers";

/** One feature environment, ~20 resources, shaped like the program's previews. */
function featureEnv(n: number): ResourceLike[] {
  const ns = `feature-pr-${n}`;
  const stack = ns;
  const out: ResourceLike[] = [
    namespace(stack, ns, "feature"),
    res(stack, "kubernetes:core/v1:ResourceQuota", `${ns}-quota`, { metadata: { name: "quota", namespace: ns }, spec: { hard: { "requests.cpu": "2", "requests.memory": "4Gi" } } }),
    res(stack, "kubernetes:core/v1:LimitRange", `${ns}-limits`, { metadata: { name: "limits", namespace: ns }, spec: { limits: [{ type: "Container", default: { cpu: "500m" } }] } }),
    ...guardrailPolicies(stack, ns),
    binding(stack, ns, "developers", { kind: "ClusterRole", name: "team-feature-developer" }, [DEVELOPERS]),
  ];
  for (const svc of ["pwa", "core-api", "auth"]) {
    out.push(
      deployment(stack, ns, svc, { replicas: 1, component: svc === "pwa" ? "web" : "api" }),
      res(stack, "kubernetes:core/v1:Service", `${ns}-${svc}-svc`, { metadata: { name: svc, namespace: ns }, spec: { selector: { "app.kubernetes.io/name": svc }, ports: [{ port: 80, targetPort: "http" }] } }),
      res(stack, "kubernetes:core/v1:ConfigMap", `${ns}-${svc}-config`, { metadata: { name: `${svc}-config`, namespace: ns }, data: { APP_ENV: ns, LOG_LEVEL: "debug" } }),
    );
  }
  out.push(
    deployment(stack, ns, "postgres", { component: "database", port: 5432, replicas: 1 }),
    res(stack, "kubernetes:core/v1:Service", `${ns}-postgres-svc`, { metadata: { name: "postgres", namespace: ns }, spec: { selector: { "app.kubernetes.io/name": "postgres" }, ports: [{ port: 5432 }] } }),
    res(stack, "kubernetes:core/v1:Service", `${ns}-api-gateway-svc`, { metadata: { name: "api-gateway", namespace: ns }, spec: { type: "ExternalName", externalName: "api-gateway.qa.svc.cluster.local" } }),
  );
  return out;
}

function synthesise(n: number): ResourceLike[] {
  const out: ResourceLike[] = [
    role("cluster", undefined, "team-feature-developer", [{ apiGroups: ["", "apps", "batch"], resources: ["pods", "deployments", "jobs", "configmaps", "services"], verbs: ["*"] }]),
    role("cluster", undefined, "team-developer-read", [{ apiGroups: ["", "apps"], resources: ["pods", "pods/log", "deployments", "services"], verbs: ["get", "list", "watch"] }]),
    binding("cluster", undefined, "team-developer-read", { kind: "ClusterRole", name: "team-developer-read" }, [DEVELOPERS]),
  ];
  for (let i = 1; out.length < n; i++) out.push(...featureEnv(i));
  // Whole environments only (a cut one would rightly fail): the count is n rounded up.
  return out;
}

async function time(resources: ResourceLike[], config: PackConfig): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await runPack(policies, resources, config);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const mandatory = r.findings.filter((f) => f.level === "mandatory").length;
  if (mandatory > 0) throw new Error(`bench graph should be compliant, got ${mandatory} mandatory findings: ${r.findings[0].message}`);
  return ms;
}

/** Runs the policy benchmark and returns its report lines. */
export async function benchPolicy(): Promise<string[]> {
  const lines: string[] = [];
  const config = loadPackConfig(path.join(__dirname, "..", "policy", "config", "feature.json"), policies);
  await time(synthesise(500), config); // warm-up (JIT)
  const results: { n: number; ms: number }[] = [];
  for (const n of [1000, 5000, 20000]) {
    const resources = synthesise(n);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await time(resources, config));
    const ms = Math.min(...runs);
    results.push({ n: resources.length, ms });
    lines.push(`policy pack ${String(resources.length).padStart(6)} resources: ${ms.toFixed(0).padStart(6)} ms  (${((ms * 1000) / resources.length).toFixed(1)} µs/resource)`);
  }
  const per = (i: number) => results[i].ms / results[i].n;
  lines.push(`policy pack time/resource ratio 20k/1k: ${(per(2) / per(0)).toFixed(2)} (1.00 = linear)`);
  lines.push(`policy pack 5k under 1 s: ${results[1].ms < 1000 ? "yes" : "NO"} (ratio to goal ${(results[1].ms / 1000).toFixed(2)})`);
  return lines;
}

if (require.main === module) {
  benchPolicy().then(
    (lines) => lines.forEach((l) => console.log(l)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
