/**
 * The shared base, part one: the application's services as every environment runs them (the
 * catalogue), its database and the resources of its short-lived jobs. Environments differ from
 * this only through their kind profile (profiles.ts) and the stack config the key table admits
 * (config/keys.ts).
 */
import { CatalogueEntry, DATABASE, SERVICES } from "../policy/conventions";

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
    throw new Error(`base/catalogue.ts: catalogue service ${entry.name} needs an entry in SERVICE_DETAILS (and a web or api component)`);
  }
  return { name: entry.name, role: entry.component, port: entry.port, ...details };
}

/** The application: the seeds' four services, in the order of the conventions' catalogue. */
export const SERVICE_CATALOGUE: readonly ServiceDefinition[] = SERVICES.map(serviceDefinition);

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
