import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { JOB_RESOURCES } from "../base/catalogue";
import { IngressSettings, ServiceSettings } from "../config/settings";
import { baseLabels, selectorLabels, workloadLabels } from "../policy/conventions";
import { NO_ENDPOINT_WAIT } from "../k8s/await";
import { containerSecurityContext, podSecurityContext, resourceBlock, shortHash } from "../k8s/workload";
import { ALREADY_ADMITTED, Admission } from "./guardrails";

/** Arguments of {@link AppService}. */
export interface AppServiceArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  service: ServiceSettings;
  rollout: { maxSurge: number; maxUnavailable: number };
  ingress: IngressSettings;
  /** Name of the basic-auth Middleware in front of the host, if any. */
  basicAuthMiddleware?: pulumi.Input<string>;
  /** Database connection: Service host, port and the credentials Secret. */
  database: { host: pulumi.Input<string>; port: number; credentialsSecret: pulumi.Input<string> };
  /** Whether the service's Secret may be missing (previews). */
  optionalSecrets: boolean;
  /** Extra ConfigMap entries that differ per environment (values only: keys are the same everywhere). */
  environmentConfig: Record<string, string>;
  /** Migrations Job backoff: production does not retry a failed migration. Default: 2. */
  migrationRetries?: number;
  /** Resources the migrations and the Deployment wait for (e.g. the database). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** What its pods and Service wait for in a preview (Guardrails.admission). Default: nothing. */
  admission?: Admission;
}

/** The port every Service exposes (the container port is the catalogue's). */
const SERVICE_PORT = 80;
/** A migration that has not finished in ten minutes is stuck: fail the Job (and so the rollout). */
const MIGRATION_DEADLINE_SECONDS = 600;
/** The writable /tmp of a read-only root filesystem. */
const TMP_SIZE_LIMIT = "64Mi";
/** Old ReplicaSets kept for `kubectl rollout undo`. */
const REVISION_HISTORY = 5;
/** Time a pod gets to drain in-flight requests after SIGTERM. */
const TERMINATION_GRACE_SECONDS = 30;
/** Readiness: checked early and often, so a new pod takes traffic soon after it can. */
const READINESS = { initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 3 };
/** Liveness: later and rarer, so a slow start is not mistaken for a hang. */
const LIVENESS = { initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 3 };

/** What the service's containers (its pods and its migrations) are given. */
interface ContainerInputs {
  image: string;
  env: k8s.types.input.core.v1.EnvVar[];
  envFrom: k8s.types.input.core.v1.EnvFromSource[];
  labels: (component: "web" | "api" | "migrations") => Record<string, string>;
}

/**
 * One service of the app: ConfigMap, migrations Job (completes before the rollout), Deployment
 * with probes, limits and a restricted security context, Service, and an ingress per host.
 */
export class AppService extends pulumi.ComponentResource {
  readonly configMap: k8s.core.v1.ConfigMap;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly migrations?: k8s.batch.v1.Job;
  readonly ingress?: k8s.networking.v1.Ingress | k8s.apiextensions.CustomResource;
  /** Pod selector labels (name + instance): stable for the life of the Deployment. */
  readonly selector: Record<string, string>;
  /** `https://host` of the service, if it has an ingress. */
  readonly url?: string;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:AppService", name, {}, opts);
    const s = args.service;
    this.selector = selectorLabels(s.name, args.environment);
    const labels = (component: "web" | "api" | "migrations") =>
      workloadLabels({ appName: args.appName, environment: args.environment, name: s.name, component, version: s.image.tag });

    const configData = { ...s.config, ...args.environmentConfig };
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: { name: `${s.name}-config`, namespace: args.namespace, labels: labels(s.role) }, data: configData },
      { parent: this },
    );
    const inputs: ContainerInputs = {
      image: `${s.image.repository}:${s.image.tag}`,
      env: s.usesDatabase ? databaseEnv(args.database) : [],
      envFrom: [
        { configMapRef: { name: this.configMap.metadata.name } },
        { secretRef: { name: s.secretRef, optional: args.optionalSecrets } },
      ],
      labels,
    };

    const admitted = (args.admission ?? ALREADY_ADMITTED).workloads;
    // The migrations and the rollout wait for what admits their pods and for the database; the
    // rollout for the migrations too.
    const ready: pulumi.Input<pulumi.Resource>[] = [...admitted, ...(args.dependsOn ?? [])];
    if (s.migrations) this.migrations = this.createMigrations(name, args, inputs, ready);
    const dependsOn = this.migrations ? [...ready, this.migrations] : ready;
    this.deployment = this.createDeployment(name, args, inputs, shortHash(configData), dependsOn);
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: s.name, namespace: args.namespace, labels: labels(s.role), annotations: { ...NO_ENDPOINT_WAIT } },
        spec: {
          type: "ClusterIP",
          selector: this.selector,
          ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
        },
      },
      { parent: this, dependsOn: admitted },
    );
    if (s.host !== undefined) {
      this.url = `https://${s.host}`;
      this.ingress =
        args.ingress.kind === "ingressroute" ? this.createIngressRoute(name, args, s.host) : this.createIngress(name, args, s.host);
    }
    this.registerOutputs({ url: this.url });
  }

  /**
   * A Job's pod template is immutable: one Job per image version, named after it. Pulumi waits for
   * the Job to complete, and the Deployment depends on it, so the rollout starts only after the
   * migrations succeeded; a failed migration stops the update with the old pods serving.
   */
  private createMigrations(name: string, args: AppServiceArgs, c: ContainerInputs, dependsOn: pulumi.Input<pulumi.Resource>[]): k8s.batch.v1.Job {
    const s = args.service;
    return new k8s.batch.v1.Job(
      `${name}-migrations`,
      {
        metadata: { name: `${s.name}-migrate-${shortHash(c.image)}`, namespace: args.namespace, labels: c.labels("migrations") },
        spec: {
          backoffLimit: args.migrationRetries ?? 2,
          activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
          template: {
            metadata: { labels: c.labels("migrations") },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(),
              containers: [
                {
                  name: "migrate",
                  image: c.image,
                  command: ["/app/migrate", "up"],
                  env: c.env,
                  envFrom: c.envFrom,
                  resources: resourceBlock(JOB_RESOURCES),
                  securityContext: containerSecurityContext(true),
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn, deleteBeforeReplace: true },
    );
  }

  private createDeployment(
    name: string,
    args: AppServiceArgs,
    c: ContainerInputs,
    configHash: string,
    dependsOn: pulumi.Input<pulumi.Resource>[],
  ): k8s.apps.v1.Deployment {
    const s = args.service;
    const tmp = s.readOnlyRootFilesystem
      ? { volumes: [{ name: "tmp", emptyDir: { sizeLimit: TMP_SIZE_LIMIT } }], mounts: [{ name: "tmp", mountPath: "/tmp" }] }
      : { volumes: [], mounts: [] };
    const container: k8s.types.input.core.v1.Container = {
      name: s.name,
      image: c.image,
      ports: [{ name: "http", containerPort: s.port, protocol: "TCP" }],
      env: c.env,
      envFrom: c.envFrom,
      readinessProbe: { httpGet: { path: s.readinessPath, port: "http" }, ...READINESS },
      livenessProbe: { httpGet: { path: s.livenessPath, port: "http" }, ...LIVENESS },
      resources: resourceBlock(s.resources),
      securityContext: containerSecurityContext(s.readOnlyRootFilesystem),
      volumeMounts: tmp.mounts,
    };
    return new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: s.name, namespace: args.namespace, labels: c.labels(s.role) },
        spec: {
          // Without a fixed count an HPA owns spec.replicas; leaving it out keeps Pulumi from fighting it.
          ...(s.replicas === undefined ? {} : { replicas: s.replicas }),
          selector: { matchLabels: this.selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { ...args.rollout } },
          revisionHistoryLimit: REVISION_HISTORY,
          template: {
            metadata: { labels: c.labels(s.role), annotations: { "team-environments.dev/config-hash": configHash } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(),
              terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
              volumes: tmp.volumes,
              containers: [container],
            },
          },
        },
      },
      { parent: this, dependsOn },
    );
  }

  /** A Traefik IngressRoute for the host, behind basic auth when the environment has it. */
  private createIngressRoute(name: string, args: AppServiceArgs, host: string): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
      `${name}-ingressroute`,
      {
        apiVersion: "traefik.io/v1alpha1",
        kind: "IngressRoute",
        metadata: ingressMetadata(args),
        spec: {
          entryPoints: ["websecure"],
          routes: [
            {
              match: `Host(\`${host}\`)`,
              kind: "Rule",
              services: [{ name: this.service.metadata.name, port: SERVICE_PORT }],
              middlewares: args.basicAuthMiddleware ? [{ name: args.basicAuthMiddleware }] : [],
            },
          ],
          tls: args.ingress.certResolver ? { certResolver: args.ingress.certResolver } : {},
        },
      },
      { parent: this },
    );
  }

  /** A networking.k8s.io Ingress for the host, Traefik's router settings as annotations. */
  private createIngress(name: string, args: AppServiceArgs, host: string): k8s.networking.v1.Ingress {
    const annotations: Record<string, pulumi.Input<string>> = {
      "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
      "traefik.ingress.kubernetes.io/router.tls": "true",
    };
    if (args.basicAuthMiddleware) {
      annotations["traefik.ingress.kubernetes.io/router.middlewares"] = pulumi.interpolate`${args.namespace}-${args.basicAuthMiddleware}@kubernetescrd`;
    }
    if (args.ingress.certResolver) {
      annotations["traefik.ingress.kubernetes.io/router.tls.certresolver"] = args.ingress.certResolver;
    }
    const backend = { service: { name: this.service.metadata.name, port: { number: SERVICE_PORT } } };
    return new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: { ...ingressMetadata(args), annotations },
        spec: {
          ingressClassName: args.ingress.className,
          tls: [{ hosts: [host] }],
          rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend }] } }],
        },
      },
      { parent: this },
    );
  }
}

function ingressMetadata(args: AppServiceArgs) {
  return { name: args.service.name, namespace: args.namespace, labels: baseLabels(args.appName, args.environment) };
}

/** The database connection: host and port in plain env, the credentials from their Secret. */
function databaseEnv(db: AppServiceArgs["database"]): k8s.types.input.core.v1.EnvVar[] {
  const fromSecret = (key: string) => ({ secretKeyRef: { name: db.credentialsSecret, key } });
  return [
    { name: "DATABASE_HOST", value: db.host },
    { name: "DATABASE_PORT", value: String(db.port) },
    { name: "DATABASE_USER", valueFrom: fromSecret("username") },
    { name: "DATABASE_PASSWORD", valueFrom: fromSecret("password") },
    { name: "DATABASE_NAME", valueFrom: fromSecret("database") },
  ];
}
