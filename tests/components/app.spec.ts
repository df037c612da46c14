import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { App } from "../../components/app";
import { AppSettings } from "../../config/settings";
import { appSettings, childrenOf, construct, created } from "../support/component";

const DATABASE = { host: "postgres.staging.svc.cluster.local", port: 5432, credentialsSecret: "postgres-credentials" };
const app = (settings: AppSettings) => () => {
  const db = new k8s.core.v1.Service("database", { metadata: { name: "postgres" } });
  return new App(`${settings.environment}-app`, { namespace: settings.namespace, settings, database: DATABASE, dependsOn: [db] });
};

describe("App", () => {
  it("deploys every service with an HPA and a PDB from the settings, as its children", async () => {
    const { resources, urn } = await construct(app(appSettings("staging")));
    const names = (type: string) => childrenOf(resources, urn, type).map((r) => r.name).sort();
    const perService = ["staging-app-api-gateway", "staging-app-auth", "staging-app-core-api", "staging-app-pwa"];
    assert.deepStrictEqual(names("team-environments:k8s:AppService"), perService);
    assert.deepStrictEqual(names("team-environments:k8s:Autoscaler"), perService);
    assert.deepStrictEqual(names("team-environments:k8s:DisruptionBudget"), perService);
    const hpa = created(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "staging-app-pwa-hpa");
    assert.deepStrictEqual([hpa.inputs.spec.scaleTargetRef.name, hpa.inputs.spec.minReplicas, hpa.inputs.spec.maxReplicas], ["pwa", 3, 8]);
    const pdb = created(resources, "kubernetes:policy/v1:PodDisruptionBudget", "staging-app-pwa-pdb");
    assert.deepStrictEqual(pdb.inputs.spec.selector.matchLabels, { "app.kubernetes.io/name": "pwa", "app.kubernetes.io/instance": "pwa-staging" });
    const config = created(resources, "kubernetes:core/v1:ConfigMap", "staging-app-pwa-config").inputs.data;
    assert.deepStrictEqual([config.APP_ENV, config.ENVIRONMENT_NAME, config.LOG_LEVEL, config.PUBLIC_URL], ["staging", "staging", "info", "https://staging.yourteam.dev"]);
  });

  it("makes only the services that use the database wait for it", async () => {
    const { resources } = await construct(app(appSettings("staging")));
    const database = created(resources, "kubernetes:core/v1:Service", "database");
    const waits = (service: string) => created(resources, "kubernetes:apps/v1:Deployment", `staging-app-${service}-deployment`).dependencies.includes(database.urn);
    assert.deepStrictEqual(["pwa", "api-gateway", "core-api", "auth"].map(waits), [false, false, true, true]);
    const [auth] = created(resources, "kubernetes:apps/v1:Deployment", "staging-app-auth-deployment").inputs.spec.template.spec.containers;
    assert.deepStrictEqual(auth.env.slice(0, 2), [{ name: "DATABASE_HOST", value: "postgres.staging.svc.cluster.local" }, { name: "DATABASE_PORT", value: "5432" }]);
    assert.deepStrictEqual(auth.env[3].valueFrom, { secretKeyRef: { name: "postgres-credentials", key: "password" } });
  });

  it("puts basic auth with a generated password in front of every host where the environment asks for it", async () => {
    const { resources, component, outputs } = await construct(app(appSettings("staging")));
    const secret = created(resources, "kubernetes:core/v1:Secret", "staging-app-basic-auth");
    assert.strictEqual(secret.inputs.stringData.users, "team:$2a$10$hash-of-staging-app-basic-auth-password");
    const middleware = created(resources, "kubernetes:traefik.io/v1alpha1:Middleware", "staging-app-basic-auth-middleware");
    assert.deepStrictEqual(middleware.inputs.spec, { basicAuth: { secret: "basic-auth" } });
    for (const route of resources.filter((r) => r.type === "kubernetes:traefik.io/v1alpha1:IngressRoute")) {
      assert.deepStrictEqual(route.inputs.spec.routes[0].middlewares, [{ name: "basic-auth" }], route.name);
    }
    assert.ok(await pulumi.isSecret(component.basicAuthPassword!));
    assert.deepStrictEqual(outputs, {
      services: ["pwa", "api-gateway", "core-api", "auth"],
      urls: { pwa: "https://staging.yourteam.dev", "api-gateway": "https://api.staging.yourteam.dev", auth: "https://auth.staging.yourteam.dev" },
      borrowed: [],
      basicAuthPassword: "password-of-staging-app-basic-auth-password",
    });
  });

  it("sends a preview's undeployed services to qa through ExternalName Services, without basic auth", async () => {
    const settings = appSettings("feature-pr-7", { imageTag: "abc1234", previewServices: JSON.stringify(["core-api"]) });
    const { resources, outputs } = await construct(app(settings));
    const borrowed = resources.filter((r) => r.inputs.spec?.type === "ExternalName");
    assert.deepStrictEqual(borrowed.map((s) => `${s.inputs.metadata.name} → ${s.inputs.spec.externalName}`).sort(), [
      "api-gateway → api-gateway.qa.svc.cluster.local", "auth → auth.qa.svc.cluster.local", "pwa → pwa.qa.svc.cluster.local",
    ]);
    assert.ok(borrowed.every((s) => s.inputs.metadata.labels["team-environments.dev/borrowed-from"] === "qa"));
    assert.deepStrictEqual([outputs.services, outputs.borrowed], [["core-api"], ["pwa", "api-gateway", "auth"]]);
    assert.strictEqual(resources.filter((r) => r.type.includes("Middleware") || r.type.startsWith("random:")).length, 0);
  });

  it("fails when a service's PDB would keep every one of its fixed replicas", async () => {
    const staging = appSettings("staging");
    const pwa = { ...staging.services[0], autoscaling: undefined, replicas: 2, pdbMinAvailable: 2 };
    await assert.rejects(construct(app({ ...staging, services: [pwa] })), {
      message: "staging-app-pwa: PDB minAvailable 2 must be below the workload's minimum replicas 2",
    });
  });
});
