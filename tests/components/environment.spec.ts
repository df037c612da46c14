import * as assert from "assert";
import { Environment } from "../../components/environment";
import { AppSettings } from "../../config/settings";
import { appSettings, childrenOf, construct, created } from "../support/component";
import { promiseOf, RecordedResource } from "../support/mocks";

const environment = (settings: AppSettings) => () => new Environment(settings.environment, { settings });
const childTypes = (resources: { parent?: string; type: string }[], urn: string) =>
  resources.filter((r) => r.parent === urn).map((r) => r.type).sort();

/** Checks every object of a preview outside its guardrails; returns the kinds it checked. */
function checkAdmission(resources: RecordedResource[]): Set<string> {
  const urn = (type: string, name: string) => created(resources, type, name).urn;
  const namespace = urn("kubernetes:core/v1:Namespace", "feature-pr-7-namespace");
  const quota = urn("kubernetes:core/v1:ResourceQuota", "feature-pr-7-quota");
  const limits = urn("kubernetes:core/v1:LimitRange", "feature-pr-7-limits");
  const secretsBinding = urn("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "feature-pr-7-preview-deployer-secrets");
  const guardrails = new Set([created(resources, "team-environments:k8s:Guardrails", "feature-pr-7").urn]);
  for (const r of resources) if (guardrails.has(r.parent ?? "")) guardrails.add(r.urn); // registered parents first
  const quotaCounted = ["apps/v1:Deployment", "apps/v1:StatefulSet", "batch/v1:Job", "batch/v1:CronJob", "core/v1:Service"].map((k) => `kubernetes:${k}`);
  const kinds = new Set<string>();
  for (const r of resources.filter((x) => x.custom && x.type.startsWith("kubernetes:") && !guardrails.has(x.urn))) {
    kinds.add(r.type);
    const waits = (before: string) => r.dependencies.includes(before);
    assert.ok(waits(namespace), `${r.name} waits for the namespace`);
    const counted = quotaCounted.includes(r.type);
    assert.strictEqual(waits(quota) && waits(limits), counted, `${r.name} waits for the quota and LimitRange: ${counted}`);
    const secret = r.type === "kubernetes:core/v1:Secret";
    assert.strictEqual(waits(secretsBinding), secret, `${r.name} waits for the deployer's Secrets binding: ${secret}`);
  }
  // No component holds its children back (a child registers only once its parent has), nor a password.
  for (const r of resources.filter((x) => !x.custom || x.type === "random:index/randomPassword:RandomPassword")) {
    assert.deepStrictEqual(r.dependencies, [], `${r.type} ${r.name}`);
  }
  return kinds;
}

describe("Environment", () => {
  it("gives a preview its own guardrails, a database and the app, and no alerts or data refresh", async () => {
    const { resources, urn, outputs, component } = await construct(environment(appSettings("feature-pr-7")));
    assert.deepStrictEqual(childTypes(resources, urn), ["team-environments:k8s:App", "team-environments:k8s:Guardrails", "team-environments:k8s:Postgres"]);
    assert.strictEqual(created(resources, "kubernetes:core/v1:Namespace", "feature-pr-7-namespace").inputs.metadata.name, "feature-pr-7");
    assert.strictEqual(created(resources, "kubernetes:apps/v1:Deployment", "feature-pr-7-postgres-deployment").inputs.metadata.namespace, "feature-pr-7");
    assert.deepStrictEqual(outputs, { namespace: "feature-pr-7" });
    assert.strictEqual(await promiseOf(component.namespace), "feature-pr-7");
  });

  it("holds each of a preview's objects back only for what admits its kind: pods and Services for the quota and LimitRange, Secrets for the deployer's binding", async () => {
    // Every service deployed, and one with the rest borrowed from qa.
    const all = (await construct(environment(appSettings("feature-pr-7")))).resources;
    const one = (await construct(environment(appSettings("feature-pr-7", { imageTag: "abc1234", previewServices: '["core-api"]' })))).resources;
    assert.ok(created(one, "kubernetes:core/v1:Service", "feature-pr-7-app-auth-from-qa"), "a borrowed service");
    const kinds = new Set([...checkAdmission(all), ...checkAdmission(one)]);
    for (const kind of ["apps/v1:Deployment", "batch/v1:Job", "core/v1:Service", "core/v1:Secret", "core/v1:ConfigMap", "traefik.io/v1alpha1:IngressRoute"]) {
      assert.ok(kinds.has(`kubernetes:${kind}`), `a ${kind} to check`);
    }
  });

  it("starts a preview's migrations while its database starts; a persistent database's only once it has rolled out", async () => {
    for (const [stack, workload] of [
      ["feature-pr-7", "kubernetes:apps/v1:Deployment"],
      ["qa", "kubernetes:apps/v1:StatefulSet"],
      ["staging", "kubernetes:apps/v1:StatefulSet"],
      ["production", "kubernetes:apps/v1:StatefulSet"],
    ]) {
      const { resources } = await construct(environment(appSettings(stack)));
      const urn = (type: string, suffix: string) => created(resources, type, `${stack}-postgres-${suffix}`).urn;
      const database = urn(workload, workload.endsWith("Deployment") ? "deployment" : "statefulset");
      const migrations = resources.filter((r) => r.type === "kubernetes:batch/v1:Job" && r.name.endsWith("-migrations"));
      assert.ok(migrations.length > 0, stack);
      for (const job of migrations) {
        for (const before of [urn("kubernetes:core/v1:Secret", "credentials"), urn("kubernetes:core/v1:Service", "service")]) {
          assert.ok(job.dependencies.includes(before), `${stack}: ${job.name} waits for ${before}`);
        }
        assert.strictEqual(job.dependencies.includes(database), stack !== "feature-pr-7", `${stack}: ${job.name} waits for the database's rollout`);
      }
    }
  });

  it("destroys a preview as kubectl does: every object but the namespace is deleted with it; long-lived environments delete object by object", async () => {
    // The engine passes deletedWith from a parent to children that set none: follow it as the engine does.
    const effective = (resources: RecordedResource[]) => {
      const byUrn = new Map(resources.map((r) => [r.urn, r]));
      const of = (r: RecordedResource | undefined): string | undefined => (r === undefined ? undefined : (r.deletedWith ?? of(byUrn.get(r.parent ?? ""))));
      return (r: RecordedResource) => of(r);
    };
    const preview = (await construct(environment(appSettings("feature-pr-7")))).resources;
    const namespace = created(preview, "kubernetes:core/v1:Namespace", "feature-pr-7-namespace");
    const deletedWith = effective(preview);
    assert.strictEqual(deletedWith(namespace), undefined, "the namespace itself is deleted");
    const objects = preview.filter((r) => r.custom && r !== namespace);
    assert.ok(objects.length > 30, `${objects.length} objects`);
    for (const r of objects) assert.strictEqual(deletedWith(r), namespace.urn, `${r.type} ${r.name}`);
    for (const stack of ["qa", "staging", "production"]) {
      const { resources } = await construct(environment(appSettings(stack)));
      assert.deepStrictEqual(resources.filter((r) => effective(resources)(r) !== undefined).map((r) => r.name), [], stack);
    }
  });

  it("runs staging in the cluster stack's namespace with its alerts and a data refresh of its own database", async () => {
    const { resources, urn, component } = await construct(environment(appSettings("staging")));
    assert.deepStrictEqual(childTypes(resources, urn), [
      "team-environments:k8s:AlertRules", "team-environments:k8s:App", "team-environments:k8s:DataRefresh", "team-environments:k8s:Postgres",
    ]);
    assert.strictEqual(component.guardrails, undefined);
    assert.strictEqual(resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").length, 0, "the cluster stack owns it");
    const rule = created(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "staging-alerts-rule").inputs;
    assert.strictEqual(rule.metadata.namespace, "staging");
    assert.strictEqual(rule.spec.groups[0].rules[0].labels.severity, "warning");
    const [refresh] = created(resources, "kubernetes:batch/v1:CronJob", "staging-data-refresh-cronjob").inputs.spec.jobTemplate.spec.template.spec.containers;
    assert.deepStrictEqual(refresh.env, [
      { name: "TARGET_DATABASE_HOST", value: "postgres.staging.svc.cluster.local" },
      { name: "TARGET_DATABASE_PASSWORD", valueFrom: { secretKeyRef: { name: "postgres-credentials", key: "password" } } },
    ]);
    const [api] = created(resources, "kubernetes:apps/v1:Deployment", "staging-app-core-api-deployment").inputs.spec.template.spec.containers;
    assert.strictEqual(api.env.find((e: any) => e.name === "DATABASE_HOST").value, "postgres.staging.svc.cluster.local");
  });

  it("protects production's database", async () => {
    const { resources } = await construct(environment(appSettings("production")));
    const postgres = created(resources, "team-environments:k8s:Postgres", "production-postgres");
    assert.deepStrictEqual(childrenOf(resources, postgres.urn).filter((r) => r.protect).map((r) => r.name).sort(), [
      "production-postgres-credentials", "production-postgres-password", "production-postgres-statefulset",
    ]);
    assert.strictEqual(resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob").length, 0, "only staging refreshes its data");
  });
});
