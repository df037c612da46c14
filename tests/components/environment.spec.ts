import * as assert from "assert";
import { Environment } from "../../components/environment";
import { AppSettings } from "../../config/settings";
import { appSettings, childrenOf, construct, created } from "../support/component";
import { promiseOf, RecordedResource } from "../support/mocks";

const environment = (settings: AppSettings) => () => new Environment(settings.environment, { settings });
const childTypes = (resources: { parent?: string; type: string }[], urn: string) =>
  resources.filter((r) => r.parent === urn).map((r) => r.type).sort();

describe("Environment", () => {
  it("gives a preview its own guardrails, a database and the app, and no alerts or data refresh", async () => {
    const { resources, urn, outputs, component } = await construct(environment(appSettings("feature-pr-7")));
    assert.deepStrictEqual(childTypes(resources, urn), ["team-environments:k8s:App", "team-environments:k8s:Guardrails", "team-environments:k8s:Postgres"]);
    assert.strictEqual(created(resources, "kubernetes:core/v1:Namespace", "feature-pr-7-namespace").inputs.metadata.name, "feature-pr-7");
    assert.strictEqual(created(resources, "kubernetes:apps/v1:Deployment", "feature-pr-7-postgres-deployment").inputs.metadata.namespace, "feature-pr-7");
    assert.deepStrictEqual(outputs, { namespace: "feature-pr-7" });
    assert.strictEqual(await promiseOf(component.namespace), "feature-pr-7");
  });

  it("creates a preview's database objects and app only after its namespace, quota and the deployer's Secrets binding; the password at once", async () => {
    const { resources } = await construct(environment(appSettings("feature-pr-7")));
    const namespace = created(resources, "kubernetes:core/v1:Namespace", "feature-pr-7-namespace").urn;
    const quota = created(resources, "kubernetes:core/v1:ResourceQuota", "feature-pr-7-quota").urn;
    const limits = created(resources, "kubernetes:core/v1:LimitRange", "feature-pr-7-limits").urn;
    const secretsBinding = created(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "feature-pr-7-preview-deployer-secrets").urn;
    // The app: on its component (a child registers only once its parent has, so the parent's
    // dependencies come first). The database: on each Kubernetes object, so that its password,
    // which needs none of them, is not held back with them (it would start last).
    for (const [type, name] of [
      ["team-environments:k8s:App", "feature-pr-7-app"],
      ["kubernetes:core/v1:Secret", "feature-pr-7-postgres-credentials"],
      ["kubernetes:apps/v1:Deployment", "feature-pr-7-postgres-deployment"],
      ["kubernetes:core/v1:Service", "feature-pr-7-postgres-service"],
    ]) {
      const r = created(resources, type, name);
      for (const before of [namespace, quota, limits, secretsBinding]) assert.ok(r.dependencies.includes(before), `${name} waits for ${before}`);
    }
    assert.deepStrictEqual(created(resources, "team-environments:k8s:Postgres", "feature-pr-7-postgres").dependencies, []);
    assert.deepStrictEqual(created(resources, "random:index/randomPassword:RandomPassword", "feature-pr-7-postgres-password").dependencies, []);
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
