import * as assert from "assert";
import { AppService, AppServiceArgs } from "../../components/app-service";
import { ServiceSettings } from "../../config/settings";
import { selectorLabels } from "../../policy/conventions";
import { construct, created } from "../support/component";

const CORE_API: ServiceSettings = {
  name: "core-api", role: "api", port: 8080, migrations: true, readOnlyRootFilesystem: true, readinessPath: "/ready", livenessPath: "/health",
  resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  config: { DATABASE_POOL_SIZE: "10" }, usesDatabase: true, autoscaling: { minReplicas: 3, maxReplicas: 8, cpuUtilization: 70, memoryUtilization: 80 },
  host: "api.staging.yourteam.dev", secretRef: "core-api-secrets", image: { repository: "ghcr.io/yourorg/myapp/core-api", tag: "abc1234" },
};
const ARGS: AppServiceArgs = {
  namespace: "staging", environment: "staging", appName: "myapp", service: CORE_API, rollout: { maxSurge: 1, maxUnavailable: 0 },
  ingress: { kind: "ingressroute", className: "traefik", certResolver: "letsencrypt" }, basicAuthMiddleware: "basic-auth",
  database: { host: "postgres.staging.svc.cluster.local", port: 5432, credentialsSecret: "postgres-credentials" },
  optionalSecrets: false, environmentConfig: { LOG_LEVEL: "info" }, migrationRetries: 0,
};
const build = (args: Partial<AppServiceArgs> = {}) => () => new AppService("staging-core-api", { ...ARGS, ...args });
const SELECTOR = selectorLabels("core-api", "staging");

describe("AppService", () => {
  it("runs the image as a restricted Deployment selected by name and instance, leaving replicas to the HPA", async () => {
    const { resources, urn } = await construct(build());
    const deployment = created(resources, "kubernetes:apps/v1:Deployment", "staging-core-api-deployment");
    assert.strictEqual(deployment.parent, urn);
    const spec = deployment.inputs.spec;
    assert.strictEqual("replicas" in spec, false, "an HPA owns spec.replicas");
    assert.deepStrictEqual(spec.selector, { matchLabels: SELECTOR });
    assert.deepStrictEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    assert.strictEqual(spec.template.metadata.labels["app.kubernetes.io/version"], "abc1234");
    const [c] = spec.template.spec.containers;
    assert.strictEqual(c.image, "ghcr.io/yourorg/myapp/core-api:abc1234");
    assert.deepStrictEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    assert.deepStrictEqual([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path], ["/ready", "/health"]);
    const config = created(resources, "kubernetes:core/v1:ConfigMap", "staging-core-api-config").inputs;
    assert.deepStrictEqual(config.data, { DATABASE_POOL_SIZE: "10", LOG_LEVEL: "info" }, "the catalogue's config plus the environment's");
    assert.deepStrictEqual(c.envFrom, [{ configMapRef: { name: "core-api-config" } }, { secretRef: { name: "core-api-secrets", optional: false } }]);
    assert.deepStrictEqual(c.env.map((e: any) => e.name), ["DATABASE_HOST", "DATABASE_PORT", "DATABASE_USER", "DATABASE_PASSWORD", "DATABASE_NAME"]);
    assert.deepStrictEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
  });

  it("runs the migrations as a Job per image version that the rollout waits for", async () => {
    const { resources } = await construct(build());
    const job = created(resources, "kubernetes:batch/v1:Job", "staging-core-api-migrations");
    assert.match(job.inputs.metadata.name, /^core-api-migrate-[0-9a-f]{10}$/);
    assert.strictEqual(job.inputs.spec.backoffLimit, 0, "production-like: a failed migration is not retried");
    assert.deepStrictEqual(job.inputs.spec.template.spec.containers[0].command, ["/app/migrate", "up"]);
    assert.strictEqual(job.deleteBeforeReplace, true);
    assert.ok(created(resources, "kubernetes:apps/v1:Deployment", "staging-core-api-deployment").dependencies.includes(job.urn));
  });

  it("rolls the pods when the configuration changes", async () => {
    const hash = async (environmentConfig: Record<string, string>) =>
      created((await construct(build({ environmentConfig }))).resources, "kubernetes:apps/v1:Deployment", "staging-core-api-deployment")
        .inputs.spec.template.metadata.annotations["team-environments.dev/config-hash"];
    assert.notStrictEqual(await hash({ LOG_LEVEL: "info" }), await hash({ LOG_LEVEL: "debug" }));
  });

  it("exposes port 80 through a Service and the host through a Traefik IngressRoute behind basic auth", async () => {
    const { resources, outputs, component } = await construct(build());
    const service = created(resources, "kubernetes:core/v1:Service", "staging-core-api-service");
    assert.deepStrictEqual(service.inputs.spec, { type: "ClusterIP", selector: SELECTOR, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] });
    const [route] = created(resources, "kubernetes:traefik.io/v1alpha1:IngressRoute", "staging-core-api-ingressroute").inputs.spec.routes;
    assert.strictEqual(route.match, "Host(`api.staging.yourteam.dev`)");
    assert.deepStrictEqual(route.services, [{ name: "core-api", port: 80 }]);
    assert.deepStrictEqual(route.middlewares, [{ name: "basic-auth" }]);
    assert.deepStrictEqual(outputs, { url: "https://api.staging.yourteam.dev" });
    assert.strictEqual(component.url, outputs.url);
  });

  it("uses a networking.k8s.io Ingress with Traefik annotations when asked", async () => {
    const { resources } = await construct(build({ ingress: { kind: "ingress", className: "traefik", certResolver: "letsencrypt" } }));
    const ingress = created(resources, "kubernetes:networking.k8s.io/v1:Ingress", "staging-core-api-ingress").inputs;
    assert.strictEqual(ingress.spec.ingressClassName, "traefik");
    assert.strictEqual(ingress.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"], "staging-basic-auth@kubernetescrd");
    assert.strictEqual(ingress.metadata.annotations["traefik.ingress.kubernetes.io/router.tls.certresolver"], "letsencrypt");
    assert.deepStrictEqual(ingress.spec.rules[0].http.paths[0].backend, { service: { name: "core-api", port: { number: 80 } } });
  });

  it("fixes replicas, skips the database and the ingress for a plain internal service", async () => {
    const internal = { ...CORE_API, migrations: false, usesDatabase: false, autoscaling: undefined, replicas: 2, host: undefined };
    const { resources, outputs } = await construct(build({ service: internal }));
    assert.strictEqual(created(resources, "kubernetes:apps/v1:Deployment", "staging-core-api-deployment").inputs.spec.replicas, 2);
    assert.deepStrictEqual(resources.filter((r) => /Job|Ingress/.test(r.type)).map((r) => r.type), []);
    assert.deepStrictEqual(outputs, {});
  });
});
