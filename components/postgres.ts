import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DATABASE_WORKLOAD } from "../base/catalogue";
import { DatabaseSettings } from "../config/settings";
import { selectorLabels, workloadLabels } from "../policy/conventions";
import { NO_ENDPOINT_WAIT } from "../k8s/await";
import { containerSecurityContext, podSecurityContext, resourceBlock } from "../k8s/workload";
import { ALREADY_ADMITTED, Admission } from "./guardrails";

/** Arguments of {@link Postgres}. */
export interface PostgresArgs {
  namespace: pulumi.Input<string>;
  environment: string;
  appName: string;
  settings: DatabaseSettings;
  /** Protect the StatefulSet, its password and credentials from `pulumi destroy` (production). */
  protect: boolean;
  /**
   * What its Kubernetes objects wait for in a preview (Guardrails.admission). On each object: on
   * the component it would hold back the password too, which needs none of it. Default: nothing.
   */
  admission?: Admission;
}

/** The uid of the postgres user in the official alpine image. */
const POSTGRES_UID = 70;
const NAME = DATABASE_WORKLOAD;
/** A preview's database lives on an emptyDir of at most this size. */
const EPHEMERAL_DATA_LIMIT = "1Gi";

/**
 * The environment's Postgres. Ephemeral (previews): a Deployment on an emptyDir — the data lives
 * as long as the pod. Persistent: a StatefulSet with a PersistentVolumeClaim. The password comes
 * from `@pulumi/random` and stays secret end to end: in state, in the Secret, in the pods' env.
 */
export class Postgres extends pulumi.ComponentResource {
  readonly password: random.RandomPassword;
  readonly credentials: k8s.core.v1.Secret;
  readonly workload: k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet;
  readonly service: k8s.core.v1.Service;
  /** In-cluster host name of the database. */
  readonly host: pulumi.Output<string>;
  readonly port: number;
  /**
   * What the database's clients (the app's migrations and the services that use it) wait for:
   * its credentials Secret and Service, and a persistent database's StatefulSet rollout — a
   * migration never runs against a database that is being restarted (production does not retry
   * one). Not an ephemeral database's rollout: the migrations wait for it to accept connections
   * themselves (MIGRATE_CONNECT_TIMEOUT) and a service is ready only once they have run, so a
   * preview's migrations start while Postgres starts instead of after it. The window this leaves:
   * an up that changes both a preview's database pod (Recreate) and a migrating service's image
   * starts the migration while the old pod is replaced; Postgres refuses new connections once told
   * to stop, so it retries and reaches the new pod, unless it connected in the moment before the
   * Deployment controller acted — then the new pod starts empty, as after any restart of a
   * preview's database (`pulumi up --replace` the migrations Job, or recreate the preview).
   */
  readonly clientDependencies: pulumi.Resource[];

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("team-environments:k8s:Postgres", name, {}, opts);
    const s = args.settings;
    const protect = args.protect;
    const labels = workloadLabels({ appName: args.appName, environment: args.environment, name: NAME, component: "database" });
    const selector = selectorLabels(NAME, args.environment);
    this.port = s.port;
    const admission = args.admission ?? ALREADY_ADMITTED;
    const quotaCounted = { parent: this, dependsOn: admission.workloads };

    this.password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, protect });
    this.credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: `${NAME}-credentials`, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { username: args.appName, database: args.appName, password: this.password.result },
      },
      { parent: this, dependsOn: admission.secrets, protect },
    );

    this.workload = this.createWorkload(name, args, postgresContainer(s, this.credentials.metadata.name, args.appName), labels, selector, quotaCounted);

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        // Its Deployment or StatefulSet is awaited to Ready; the Service's endpoint wait adds 10 s.
        metadata: { name: NAME, namespace: args.namespace, labels, annotations: { ...NO_ENDPOINT_WAIT } },
        spec: { selector, ports: [{ name: "postgres", port: s.port, targetPort: "postgres" }] },
      },
      quotaCounted,
    );
    this.host = pulumi.interpolate`${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local`;
    this.clientDependencies = [this.credentials, this.service, ...(s.mode === "persistent" ? [this.workload] : [])];
    this.registerOutputs({ host: this.host, port: this.port });
  }

  /** Ephemeral: a Deployment on an emptyDir. Persistent: a StatefulSet with a volume claim (protected in production). */
  private createWorkload(
    name: string,
    args: PostgresArgs,
    container: k8s.types.input.core.v1.Container,
    labels: Record<string, string>,
    selector: Record<string, string>,
    opts: pulumi.CustomResourceOptions,
  ): k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet {
    const s = args.settings;
    const scratch = [
      { name: "run", emptyDir: {} },
      { name: "tmp", emptyDir: {} },
    ];
    const podSpec = (volumes: k8s.types.input.core.v1.Volume[]) => ({
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(POSTGRES_UID),
      containers: [container],
      volumes,
    });
    if (s.mode === "ephemeral") {
      // The data lives as long as the pod: a preview's database starts empty on every restart.
      const data = { name: "data", emptyDir: { sizeLimit: EPHEMERAL_DATA_LIMIT } };
      const spec = { replicas: 1, strategy: { type: "Recreate" }, selector: { matchLabels: selector }, template: { metadata: { labels }, spec: podSpec([data, ...scratch]) } };
      return new k8s.apps.v1.Deployment(`${name}-deployment`, { metadata: { name: NAME, namespace: args.namespace, labels }, spec }, opts);
    }
    return new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { name: NAME, namespace: args.namespace, labels },
        spec: {
          serviceName: NAME,
          replicas: 1,
          selector: { matchLabels: selector },
          template: { metadata: { labels }, spec: podSpec(scratch) },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                ...(s.storageClass ? { storageClassName: s.storageClass } : {}),
                resources: { requests: { storage: s.storageSize } },
              },
            },
          ],
        },
      },
      { ...opts, protect: args.protect },
    );
  }
}

/** The postgres container: credentials from their Secret, a read-only root with writable data, run and tmp. */
function postgresContainer(s: DatabaseSettings, credentials: pulumi.Input<string>, appName: string): k8s.types.input.core.v1.Container {
  const fromSecret = (key: string) => ({ secretKeyRef: { name: credentials, key } });
  return {
    name: NAME,
    image: s.image,
    ports: [{ name: "postgres", containerPort: s.port }],
    env: [
      { name: "POSTGRES_USER", valueFrom: fromSecret("username") },
      { name: "POSTGRES_PASSWORD", valueFrom: fromSecret("password") },
      { name: "POSTGRES_DB", valueFrom: fromSecret("database") },
      { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
    ],
    readinessProbe: { exec: { command: ["pg_isready", "-U", appName] }, periodSeconds: 5 },
    livenessProbe: { tcpSocket: { port: "postgres" }, initialDelaySeconds: 30, periodSeconds: 20 },
    resources: resourceBlock(s.resources),
    securityContext: containerSecurityContext(true),
    volumeMounts: [
      { name: "data", mountPath: "/var/lib/postgresql/data" },
      { name: "run", mountPath: "/var/run/postgresql" },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
}
