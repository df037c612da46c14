import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { JOB_RESOURCES } from "../base/catalogue";
import { IngressSettings, ServiceSettings } from "../config/settings";
import { baseLabels, selectorLabels, workloadLabels } from "../policy/conventions";
import { containerSecurityContext, podSecurityContext, resourceBlock, shortHash } from "../k8s/workload";

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
  /** Resources the Deployment must wait for besides its migrations (e.g. the database). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
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
    const image = `${s.image.repository}:${s.image.tag}`;
    this.selector = selectorLabels(s.name, args.environment);
    const labels = (component: "web" | "api" | "migrations") =>
      workloadLabels({ appName: args.appName, environment: args.environment, name: s.name, component, version: s.image.tag });

    const configData = { ...s.config, ...args.environmentConfig };
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: { name: `${s.name}-config`, namespace: args.namespace, labels: labels(s.role) }, data: configData },
      { parent: this },
    );

    const env: k8s.types.input.core.v1.EnvVar[] = s.usesDatabase
      ? [
          { name: "DATABASE_HOST", value: args.database.host },
          { name: "DATABASE_PORT", value: String(args.database.port) },
          { name: "DATABASE_USER", valueFrom: { secretKeyRef: { name: args.database.credentialsSecret, key: "username" } } },
          { name: "DATABASE_PASSWORD", valueFrom: { secretKeyRef: { name: args.database.credentialsSecret, key: "password" } } },
          { name: "DATABASE_NAME", valueFrom: { secretKeyRef: { name: args.database.credentialsSecret, key: "database" } } },
        ]
      : [];
    const envFrom = [
      { configMapRef: { name: this.configMap.metadata.name } },
      { secretRef: { name: s.secretRef, optional: args.optionalSecrets } },
    ];
    const tmp = s.readOnlyRootFilesystem
      ? { volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }], mounts: [{ name: "tmp", mountPath: "/tmp" }] }
      : { volumes: [], mounts: [] };

    const dependsOn: pulumi.Input<pulumi.Resource>[] = [...(args.dependsOn ?? [])];
    if (s.migrations) {
      // A Job's pod template is immutable: one Job per image version, named after it. Pulumi waits
      // for the Job to complete, and the Deployment depends on it, so the rollout starts only after
      // the migrations succeeded; a failed migration stops the update with the old pods serving.
      this.migrations = new k8s.batch.v1.Job(
        `${name}-migrations`,
        {
          metadata: {
            name: `${s.name}-migrate-${shortHash(image)}`,
            namespace: args.namespace,
            labels: labels("migrations"),
          },
          spec: {
            backoffLimit: args.migrationRetries ?? 2,
            activeDeadlineSeconds: 600,
            template: {
              metadata: { labels: labels("migrations") },
              spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                securityContext: podSecurityContext(),
                containers: [
                  {
                    name: "migrate",
                    image,
                    command: ["/app/migrate", "up"],
                    env,
                    envFrom,
                    resources: resourceBlock(JOB_RESOURCES),
                    securityContext: containerSecurityContext(true),
                  },
                ],
              },
            },
          },
        },
        { parent: this, dependsOn: args.dependsOn, deleteBeforeReplace: true },
      );
      dependsOn.push(this.migrations);
    }

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: s.name, namespace: args.namespace, labels: labels(s.role) },
        spec: {
          // Without a fixed count an HPA owns spec.replicas; leaving it out keeps Pulumi from fighting it.
          ...(s.replicas === undefined ? {} : { replicas: s.replicas }),
          selector: { matchLabels: this.selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { ...args.rollout } },
          revisionHistoryLimit: 5,
          template: {
            metadata: {
              labels: labels(s.role),
              annotations: { "team-environments.dev/config-hash": shortHash(configData) },
            },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(),
              terminationGracePeriodSeconds: 30,
              volumes: tmp.volumes,
              containers: [
                {
                  name: s.name,
                  image,
                  ports: [{ name: "http", containerPort: s.port, protocol: "TCP" }],
                  env,
                  envFrom,
                  readinessProbe: {
                    httpGet: { path: s.readinessPath, port: "http" },
                    initialDelaySeconds: 5,
                    periodSeconds: 5,
                    failureThreshold: 3,
                  },
                  livenessProbe: {
                    httpGet: { path: s.livenessPath, port: "http" },
                    initialDelaySeconds: 15,
                    periodSeconds: 20,
                    failureThreshold: 3,
                  },
                  resources: resourceBlock(s.resources),
                  securityContext: containerSecurityContext(s.readOnlyRootFilesystem),
                  volumeMounts: tmp.mounts,
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: s.name, namespace: args.namespace, labels: labels(s.role) },
        spec: {
          type: "ClusterIP",
          selector: this.selector,
          ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
        },
      },
      { parent: this },
    );

    if (s.host !== undefined) {
      this.url = `https://${s.host}`;
      this.ingress = this.createIngress(name, args, s.host);
    }
    this.registerOutputs({ url: this.url });
  }

  private createIngress(name: string, args: AppServiceArgs, host: string) {
    const s = args.service;
    const metadata = { name: s.name, namespace: args.namespace, labels: baseLabels(args.appName, args.environment) };
    if (args.ingress.kind === "ingressroute") {
      return new k8s.apiextensions.CustomResource(
        `${name}-ingressroute`,
        {
          apiVersion: "traefik.io/v1alpha1",
          kind: "IngressRoute",
          metadata,
          spec: {
            entryPoints: ["websecure"],
            routes: [
              {
                match: `Host(\`${host}\`)`,
                kind: "Rule",
                services: [{ name: this.service.metadata.name, port: 80 }],
                middlewares: args.basicAuthMiddleware ? [{ name: args.basicAuthMiddleware }] : [],
              },
            ],
            tls: args.ingress.certResolver ? { certResolver: args.ingress.certResolver } : {},
          },
        },
        { parent: this },
      );
    }
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
    return new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: { ...metadata, annotations },
        spec: {
          ingressClassName: args.ingress.className,
          tls: [{ hosts: [host] }],
          rules: [
            {
              host,
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: this.service.metadata.name, port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
      { parent: this },
    );
  }
}
