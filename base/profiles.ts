/**
 * The shared base, part two: per environment kind, the defaults that differ by kind (replicas,
 * autoscaling, quotas, alert severity, guardrails, …).
 *
 * Staging and production read the *same* profile (`LOCKED_PROFILE`); what may differ between
 * them is only what stack config may set for them (the key table, config/keys.ts).
 */
import type { AlertPolicy } from "../monitoring/alerts";
import { AppKind } from "../policy/conventions";
import { ResourceRequirements } from "./catalogue";

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
  /**
   * The stack creates its own guardrails (namespace, quota, network policy, RBAC) and checks that
   * its pods fit its quota: a preview. Otherwise the cluster stack owns them.
   */
  ownsGuardrails: boolean;
  /** Refreshes its database from an anonymised production backup (a CronJob). */
  dataRefresh: boolean;
  /** Accepts the `latest` image tag (a preview deploys whatever its branch just built). */
  latestTag: boolean;
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

const LOCKED_PROFILE: Omit<KindProfile, "alerts" | "basicAuth" | "protect" | "migrationRetries" | "guardrails" | "dataRefresh"> = {
  autoscaling: { minReplicas: 3, maxReplicas: 8, cpuUtilization: 70, memoryUtilization: 80 },
  pdbMinAvailable: 2,
  rollout: { maxSurge: 1, maxUnavailable: 0 },
  database: "persistent",
  optionalSecrets: false,
  logLevel: "info",
  ownsGuardrails: false,
  latestTag: false,
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
    ownsGuardrails: true,
    dataRefresh: false,
    latestTag: true,
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
    ownsGuardrails: false,
    dataRefresh: false,
    latestTag: false,
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
    dataRefresh: true,
  },
  // Production never retries a failed migration: a half-applied one needs a person.
  production: {
    ...LOCKED_PROFILE,
    alerts: { severity: "critical", errorRate: { threshold: 0.05, for: "2m" } },
    basicAuth: false,
    protect: true,
    migrationRetries: 0,
    guardrails: LONG_LIVED_GUARDRAILS,
    dataRefresh: false,
  },
};

