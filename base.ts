/**
 * The shared base every environment is built from: the service catalogue and, per environment
 * kind, the defaults that differ by kind (replicas, autoscaling, quotas, alert severity, …).
 *
 * Staging and production read the *same* profile (`LOCKED_PROFILE`); what may differ between
 * them is only what stack config may set for them (the key table, `KEY_SCOPES` in config.ts).
 */
import type { AlertPolicy } from "./monitoring/alerts";
import { AppKind, CatalogueEntry, DATABASE, SERVICES } from "./policy/conventions";

/** CPU and memory as Kubernetes quantities. */
export interface ComputeResources {
  cpu: string;
  memory: string;
}

/** Requests and limits of one container. */
export interface ResourceRequirements {
  requests: ComputeResources;
  limits: ComputeResources;
}

/** One service of the application, as every environment runs it. */
export interface ServiceDefinition {
  /** Service name: Deployment, Service, ConfigMap and image name. */
  name: string;
  /** `web` serves browsers, `api` serves other services and clients. */
  role: "web" | "api";
  /** The container port; the Service exposes it as port 80. */
  port: number;
  /** Host prefix of its ingress (`api` → `api.<environment host>`), "" for the bare host, undefined for no ingress. */
  hostPrefix?: string;
  /** Whether a migrations Job must complete before each rollout. */
  migrations: boolean;
  /** Whether the root filesystem is read-only (a writable /tmp emptyDir is mounted). */
  readOnlyRootFilesystem: boolean;
  /** HTTP paths of the probes. */
  readinessPath: string;
  livenessPath: string;
  /** Requests and limits in staging and production. */
  resources: ResourceRequirements;
  /** Non-secret settings, delivered as the service's ConfigMap (same keys everywhere). */
  config: Record<string, string>;
  /** Whether the service talks to the database (gets DATABASE_* env). */
  usesDatabase: boolean;
}

const standardResources: ResourceRequirements = {
  requests: { cpu: "250m", memory: "256Mi" },
  limits: { cpu: "1", memory: "512Mi" },
};

/** What the program adds to each catalogue entry (policy/conventions.ts: SERVICES). */
const SERVICE_DETAILS: Record<string, Omit<ServiceDefinition, "name" | "role" | "port">> = {
  pwa: {
    hostPrefix: "",
    migrations: false,
    readOnlyRootFilesystem: true,
    readinessPath: "/",
    livenessPath: "/healthz",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    config: { API_BASE_PATH: "/api", CACHE_TTL: "300" },
    usesDatabase: false,
  },
  "api-gateway": {
    hostPrefix: "api",
    migrations: false,
    readOnlyRootFilesystem: true,
    readinessPath: "/ready",
    livenessPath: "/health",
    resources: standardResources,
    config: { UPSTREAM_CORE_API: "http://core-api", UPSTREAM_AUTH: "http://auth", RATE_LIMIT_RPS: "50" },
    usesDatabase: false,
  },
  "core-api": {
    migrations: true,
    readOnlyRootFilesystem: true,
    readinessPath: "/ready",
    livenessPath: "/health",
    resources: standardResources,
    config: { DATABASE_POOL_SIZE: "10", CACHE_TTL: "300" },
    usesDatabase: true,
  },
  auth: {
    hostPrefix: "auth",
    migrations: true,
    // The auth service writes its signing-key cache to disk.
    readOnlyRootFilesystem: false,
    readinessPath: "/ready",
    livenessPath: "/health",
    resources: standardResources,
    config: { SESSION_TTL: "3600", OIDC_ISSUER_PATH: "/auth" },
    usesDatabase: true,
  },
};

function serviceDefinition(entry: CatalogueEntry): ServiceDefinition {
  const details = SERVICE_DETAILS[entry.name];
  if (details === undefined || entry.component === "database") {
    throw new Error(`base.ts: catalogue service ${entry.name} needs an entry in SERVICE_DETAILS (and a web or api component)`);
  }
  return { name: entry.name, role: entry.component, port: entry.port, ...details };
}

/** The application: the seeds' four services, in the order of the conventions' catalogue. */
export const SERVICE_CATALOGUE: readonly ServiceDefinition[] = SERVICES.map(serviceDefinition);

/** Quota of one namespace. */
export interface QuotaProfile {
  requestsCpu: string;
  requestsMemory: string;
  limitsCpu: string;
  limitsMemory: string;
  pods: number;
  services: number;
  persistentVolumeClaims: number;
  requestsStorage: string;
}

/** What differs by environment kind before any stack config is applied. */
export interface KindProfile {
  /** Fixed replicas when no HPA manages the Deployment. */
  replicas?: number;
  /** HPA bounds; when set, Deployments carry no `spec.replicas`. */
  autoscaling?: { minReplicas: number; maxReplicas: number; cpuUtilization: number; memoryUtilization: number };
  /** PodDisruptionBudget minAvailable; undefined for no PDB. */
  pdbMinAvailable?: number;
  /** Container resources: the catalogue's, or this override for every service. */
  resources?: ResourceRequirements;
  /** RollingUpdate bounds. */
  rollout: { maxSurge: number; maxUnavailable: number };
  /** How the environment alerts (severity and the error rate that fires), or undefined for no alerts. */
  alerts?: AlertPolicy;
  /** Ephemeral Postgres (Deployment + emptyDir) or persistent (StatefulSet + PVC). */
  database: "ephemeral" | "persistent";
  /** Basic auth (Traefik Middleware) in front of every ingress. */
  basicAuth: boolean;
  /** Whether secret refs may be missing (previews have no provisioned app secrets). */
  optionalSecrets: boolean;
  /** `LOG_LEVEL` of every service. */
  logLevel: "debug" | "info";
  /** How often a failed migrations Job is retried (`backoffLimit`). */
  migrationRetries: number;
  quota: QuotaProfile;
  /** Protect the namespace and stateful objects from `pulumi destroy`. */
  protect: boolean;
  /** What the environment's guardrails grant and admit. */
  guardrails: GuardrailProfile;
}

/** The kind-dependent part of an environment's guardrails. */
export interface GuardrailProfile {
  /** Developers edit in it and the preview deployer deploys it (a preview), instead of its own CI deployer. */
  previewAccess: boolean;
  /** QA engineers administer it (the `qa-admin` Role). */
  qaAdmin: boolean;
  /** It calls the services it does not deploy in qa. */
  borrowsFromQa: boolean;
  /** Previews may call its services (qa serves what previews borrow). */
  admitsPreviews: boolean;
  /** Its data refresh reaches object storage (public addresses on 443). */
  dataRefreshEgress: boolean;
}

const LONG_LIVED_GUARDRAILS: GuardrailProfile = { previewAccess: false, qaAdmin: false, borrowsFromQa: false, admitsPreviews: false, dataRefreshEgress: false };

const LOCKED_PROFILE: Omit<KindProfile, "alerts" | "basicAuth" | "protect" | "migrationRetries" | "guardrails"> = {
  autoscaling: { minReplicas: 3, maxReplicas: 8, cpuUtilization: 70, memoryUtilization: 80 },
  pdbMinAvailable: 2,
  rollout: { maxSurge: 1, maxUnavailable: 0 },
  database: "persistent",
  optionalSecrets: false,
  logLevel: "info",
  quota: {
    requestsCpu: "12",
    requestsMemory: "16Gi",
    limitsCpu: "40",
    limitsMemory: "24Gi",
    pods: 80,
    services: 20,
    persistentVolumeClaims: 4,
    requestsStorage: "50Gi",
  },
};

/** Defaults per application kind. */
export const KIND_PROFILES: Record<AppKind, KindProfile> = {
  feature: {
    replicas: 1,
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
    rollout: { maxSurge: 1, maxUnavailable: 1 },
    database: "ephemeral",
    basicAuth: false,
    optionalSecrets: true,
    logLevel: "debug",
    migrationRetries: 2,
    guardrails: { ...LONG_LIVED_GUARDRAILS, previewAccess: true, borrowsFromQa: true },
    quota: {
      requestsCpu: "1",
      requestsMemory: "1Gi",
      limitsCpu: "2",
      limitsMemory: "2Gi",
      pods: 15,
      services: 10,
      persistentVolumeClaims: 0,
      requestsStorage: "0",
    },
    protect: false,
  },
  qa: {
    replicas: 2,
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    rollout: { maxSurge: 1, maxUnavailable: 0 },
    database: "persistent",
    basicAuth: true,
    optionalSecrets: false,
    logLevel: "debug",
    migrationRetries: 2,
    guardrails: { ...LONG_LIVED_GUARDRAILS, qaAdmin: true, admitsPreviews: true },
    quota: {
      requestsCpu: "4",
      requestsMemory: "8Gi",
      limitsCpu: "8",
      limitsMemory: "16Gi",
      pods: 40,
      services: 20,
      persistentVolumeClaims: 4,
      requestsStorage: "20Gi",
    },
    protect: false,
  },
  // Seed 001: production pages above 5% errors for 2 minutes; staging warns above 10% for 5.
  staging: {
    ...LOCKED_PROFILE,
    alerts: { severity: "warning", errorRate: { threshold: 0.1, for: "5m" } },
    basicAuth: true,
    protect: false,
    migrationRetries: 2,
    guardrails: { ...LONG_LIVED_GUARDRAILS, dataRefreshEgress: true },
  },
  // Production never retries a failed migration: a half-applied one needs a person.
  production: {
    ...LOCKED_PROFILE,
    alerts: { severity: "critical", errorRate: { threshold: 0.05, for: "2m" } },
    basicAuth: false,
    protect: true,
    migrationRetries: 0,
    guardrails: LONG_LIVED_GUARDRAILS,
  },
};

/** The database's workload name (`app.kubernetes.io/instance: postgres-<environment>`). */
export const DATABASE_WORKLOAD = DATABASE.name;

/** Postgres as every environment runs it. */
export const DATABASE_DEFAULTS = {
  image: "postgres:17-alpine",
  port: DATABASE.port,
  storageSize: "10Gi",
  resources: {
    requests: { cpu: "100m", memory: "256Mi" },
    limits: { cpu: "1", memory: "1Gi" },
  } satisfies ResourceRequirements,
  ephemeralResources: {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  } satisfies ResourceRequirements,
};

/** Resources of the short-lived containers (migrations, data refresh). */
export const JOB_RESOURCES: ResourceRequirements = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
};
