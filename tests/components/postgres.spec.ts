import * as assert from "assert";
import { Postgres, PostgresArgs } from "../../components/postgres";
import { DatabaseSettings } from "../../config/settings";
import { selectorLabels } from "../../policy/conventions";
import { construct, created } from "../support/component";
import { promiseOf } from "../support/mocks";

const DATABASE: DatabaseSettings = {
  mode: "persistent",
  image: "postgres:17-alpine",
  port: 5432,
  storageSize: "10Gi",
  storageClass: "local-path",
  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
};
const PRODUCTION: PostgresArgs = { namespace: "production", environment: "production", appName: "myapp", settings: DATABASE, protect: true };
const PREVIEW: PostgresArgs = { ...PRODUCTION, namespace: "feature-pr-7", environment: "feature-pr-7", settings: { ...DATABASE, mode: "ephemeral" }, protect: false };
const SELECTOR = (env: string) => ({ matchLabels: selectorLabels("postgres", env) });

describe("Postgres", () => {
  it("runs a persistent database as a StatefulSet with a volume claim, protected with its password in production", async () => {
    const { resources, urn } = await construct(() => new Postgres("production-postgres", PRODUCTION));
    const sts = created(resources, "kubernetes:apps/v1:StatefulSet", "production-postgres-statefulset");
    assert.strictEqual(sts.inputs.metadata.namespace, "production");
    assert.deepStrictEqual(sts.inputs.spec.selector, SELECTOR("production"));
    assert.deepStrictEqual({ ...sts.inputs.spec.template.metadata.labels, ...SELECTOR("production").matchLabels }, sts.inputs.spec.template.metadata.labels, "the pods carry the selector");
    assert.deepStrictEqual(sts.inputs.spec.volumeClaimTemplates[0].spec, { accessModes: ["ReadWriteOnce"], storageClassName: "local-path", resources: { requests: { storage: "10Gi" } } });
    const password = created(resources, "random:index/randomPassword:RandomPassword", "production-postgres-password");
    const credentials = created(resources, "kubernetes:core/v1:Secret", "production-postgres-credentials");
    for (const r of [sts, password, credentials]) {
      assert.strictEqual(r.parent, urn, r.name);
      assert.strictEqual(r.protect, true, `${r.name} survives pulumi destroy`);
    }
    assert.strictEqual(resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment").length, 0);
  });

  it("runs a preview's database as a Deployment on a size-limited emptyDir, unprotected", async () => {
    const { resources } = await construct(() => new Postgres("feature-pr-7-postgres", PREVIEW));
    const deployment = created(resources, "kubernetes:apps/v1:Deployment", "feature-pr-7-postgres-deployment");
    assert.strictEqual(deployment.protect, false);
    assert.deepStrictEqual(deployment.inputs.spec.strategy, { type: "Recreate" });
    assert.deepStrictEqual(deployment.inputs.spec.template.spec.volumes[0], { name: "data", emptyDir: { sizeLimit: "1Gi" } });
    assert.strictEqual(resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet").length, 0);
    assert.ok(resources.every((r) => !r.protect));
  });

  it("keeps the credentials in a Secret the container reads, as a non-root user with a read-only root", async () => {
    const { resources } = await construct(() => new Postgres("production-postgres", PRODUCTION));
    const credentials = created(resources, "kubernetes:core/v1:Secret", "production-postgres-credentials");
    assert.strictEqual(credentials.inputs.metadata.name, "postgres-credentials");
    assert.deepStrictEqual(credentials.inputs.stringData, { username: "myapp", database: "myapp", password: "password-of-production-postgres-password" });
    const pod = created(resources, "kubernetes:apps/v1:StatefulSet", "production-postgres-statefulset").inputs.spec.template.spec;
    const [container] = pod.containers;
    assert.deepStrictEqual(container.env.find((e: any) => e.name === "POSTGRES_PASSWORD").valueFrom, { secretKeyRef: { name: "postgres-credentials", key: "password" } });
    assert.strictEqual(pod.securityContext.runAsUser, 70);
    assert.strictEqual(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepStrictEqual(container.volumeMounts.map((m: any) => m.mountPath), ["/var/lib/postgresql/data", "/var/run/postgresql", "/tmp"]);
  });

  it("exposes the database on its port through a Service and registers its in-cluster host", async () => {
    const { resources, urn, component, outputs } = await construct(() => new Postgres("production-postgres", PRODUCTION));
    const service = created(resources, "kubernetes:core/v1:Service", "production-postgres-service");
    assert.strictEqual(service.parent, urn);
    assert.deepStrictEqual(service.inputs.spec, { selector: selectorLabels("postgres", "production"), ports: [{ name: "postgres", port: 5432, targetPort: "postgres" }] });
    assert.deepStrictEqual(outputs, { host: "postgres.production.svc.cluster.local", port: 5432 });
    assert.strictEqual(await promiseOf(component.host), "postgres.production.svc.cluster.local");
    assert.strictEqual(component.port, 5432);
  });
});
