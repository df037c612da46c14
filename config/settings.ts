/**
 * The validated settings of one stack, as the components receive them: config/index.ts builds
 * them from the stack's config; nothing here reads config.
 */
import { ResourceRequirements, ServiceDefinition } from "../base/catalogue";
import { QuotaProfile } from "../base/profiles";
import type { AlertPolicy } from "../monitoring/alerts";
import type { DashboardFor } from "../monitoring/dashboard";
import type { AlertRoutingFor } from "../monitoring/routing";
import { AppKind } from "../policy/conventions";

/** Autoscaling bounds of the HPAs. */
export interface AutoscalingSettings {
  minReplicas: number;
  maxReplicas: number;
  cpuUtilization: number;
  memoryUtilization: number;
}

/** One service as this environment runs it. */
export interface ServiceSettings extends ServiceDefinition {
  image: { repository: string; tag: string };
  resources: ResourceRequirements;
  /** Fixed replicas; undefined when an HPA owns `spec.replicas`. */
  replicas?: number;
  autoscaling?: AutoscalingSettings;
  pdbMinAvailable?: number;
  /** Ingress host, or undefined when the service has no ingress. */
  host?: string;
  /** Name of the Secret the service reads its credentials from. */
  secretRef: string;
}

/** Who is who in RBAC. */
export interface AccessSettings {
  developerGroups: string[];
  developerUsers: string[];
  qaGroups: string[];
  qaUsers: string[];
}

/** Namespace-level guardrails of one environment: namespace, quota, network policy, RBAC. */
export interface GuardrailSettings {
  environment: string;
  kind: AppKind;
  quota: QuotaProfile;
  /** Protect the namespace from deletion (production). */
  protect: boolean;
  /** Developers edit in it and the preview deployer deploys it (a preview), instead of its own CI deployer. */
  previewAccess: boolean;
  /** QA engineers administer it. */
  qaAdmin: boolean;
  /** Services a preview borrows from qa: the preview may call them there. */
  borrowsFromQa: boolean;
  /** Previews may call its services. */
  admitsPreviews: boolean;
  /** Ports the app listens on (the allow rules of the network policy). */
  appPorts: number[];
  /** Ports exposed through the ingress controller. */
  ingressPorts: number[];
  databasePort: number;
  /** Egress to the outside world on 443 for the data-refresh job (staging). */
  dataRefreshEgress: boolean;
}

/** Ingress settings. */
export interface IngressSettings {
  /** `ingressroute` (Traefik CRD) or `ingress` (networking.k8s.io/v1 with the traefik class). */
  kind: "ingress" | "ingressroute";
  className: string;
  /** Traefik cert resolver for TLS, if any. */
  certResolver?: string;
  /** Basic-auth user in front of every host (qa, staging), or undefined. */
  basicAuthUser?: string;
}

/** Database settings. */
export interface DatabaseSettings {
  mode: "ephemeral" | "persistent";
  image: string;
  port: number;
  storageSize: string;
  storageClass?: string;
  resources: ResourceRequirements;
}

/** Staging's data refresh from an anonymised production backup. */
export interface DataRefreshSettings {
  schedule: string;
  image: string;
  source: string;
  /** Always true: config that turns anonymisation off is rejected. */
  anonymize: true;
}

/** Everything an application stack (feature, qa, staging, production) deploys. */
export interface AppSettings {
  kind: AppKind;
  environment: string;
  namespace: string;
  appName: string;
  imageTag: string;
  services: ServiceSettings[];
  /** Services a preview does not deploy; they resolve to the qa namespace. */
  borrowed: string[];
  rollout: { maxSurge: number; maxUnavailable: number };
  ingress: IngressSettings;
  database: DatabaseSettings;
  dataRefresh?: DataRefreshSettings;
  /** How the environment alerts; undefined for no alerts (previews, qa). */
  alerts?: AlertPolicy;
  /** Protect stateful objects (production). */
  protect: boolean;
  /** Whether the services' secret refs may be missing (previews). */
  optionalSecrets: boolean;
  /** `LOG_LEVEL` of every service. */
  logLevel: "debug" | "info";
  /** `backoffLimit` of the migrations Jobs. */
  migrationRetries: number;
  /** Feature stacks own their guardrails; long-lived environments get them from the cluster stack. */
  guardrails?: GuardrailSettings;
  access: AccessSettings;
}

/** GitHub repository environments (cluster stack). */
export interface GitHubSettings {
  enabled: boolean;
  /** Why GitHub integration is off, for the stack outputs. */
  disabledReason?: string;
  owner: string;
  repository: string;
  /** Team slugs and user logins whose approval deploys to staging. */
  qaReviewers: { teams: string[]; users: string[] };
  /** Team slugs and user logins whose approval deploys to production. */
  releaseApprovers: { teams: string[]; users: string[] };
  preventSelfReview: boolean;
  /**
   * The one branch every environment (preview, qa, staging, production) deploys from: each
   * environment's deployment branch policy admits it alone, never tags or other branches.
   */
  productionBranch: string;
}

/** Everything the cluster stack deploys. */
export interface ClusterSettings {
  appName: string;
  domain: string;
  access: AccessSettings;
  /** Guardrails of qa, staging and production. */
  environments: GuardrailSettings[];
  /** API server URL written into CI kubeconfigs. */
  apiServerUrl: string;
  github: GitHubSettings;
  /**
   * `owner/repo` whose GitHub Actions OIDC tokens the API server accepts (structured
   * authentication, see docs/ci-cd.md): each long-lived environment's deployer Role is also bound
   * to the user `github:<owner/repo>:<environment>`, which only a job that ran in that GitHub
   * environment (after its approvals) can be. Undefined: token Secrets only.
   */
  ciOidcRepository?: string;
  /** Hosts of each long-lived environment, for the GitHub environment variables. */
  hosts: Record<string, string>;
  /** Which environments alert with which severity, and where paging and chat alerts go (secret). */
  alerting: AlertRoutingFor;
  /** What the one dashboard shows: the catalogue's services and the environments to pick from. */
  dashboard: Omit<DashboardFor, "appName">;
}

/** Validated settings of one stack. */
export type Settings =
  | { kind: "cluster"; stack: string; kubeContext?: string; cluster: ClusterSettings }
  | { kind: AppKind; stack: string; kubeContext?: string; app: AppSettings };
