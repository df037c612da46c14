/**
 * The only module that reads Pulumi config. `loadSettings()` reads every key of the
 * `team-environments` namespace once, merges the shared base (base.ts) with the stack's deltas,
 * validates everything, and returns frozen settings — or throws one `ConfigError` listing every
 * problem (key, bad value, what is accepted) before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { DATABASE_DEFAULTS, DATABASE_WORKLOAD, JOB_RESOURCES, KIND_PROFILES, KindProfile, QuotaProfile, ResourceRequirements, SERVICE_CATALOGUE, ServiceDefinition } from "./base";
import {
  AppKind,
  DATA_REFRESH_WORKLOAD,
  DEFAULT_APP_NAME,
  DEFAULT_GROUPS,
  ENVIRONMENT_KINDS,
  EnvironmentKind,
  FEATURE_ENVIRONMENT_PATTERN,
  FEATURE_STACK,
  LOCKED_ENVIRONMENTS,
  LONG_LIVED_ENVIRONMENTS,
} from "./policy/conventions";
import type { AlertPolicy } from "./monitoring/alerts";
import type { DashboardFor } from "./monitoring/dashboard";
import type { AlertReceivers, AlertRoutingFor, ReceiverTarget } from "./monitoring/routing";
import { formatCpu, formatMemory, parseQuantity } from "./quantity";

/** The config namespace (the Pulumi project name). */
export const CONFIG_NAMESPACE = "team-environments";

/** Raised for invalid stack config; a RunError, so Pulumi prints the message without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

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

/**
 * Every key this program reads, with the kinds of stack that may set it. What staging and
 * production accept here are their explicit deltas: the keys that keep the two environments
 * identical by construction. Anything else is refused in those stacks.
 */
const KEY_SCOPES: Record<string, readonly EnvironmentKind[] | "all"> = {
  environmentKind: "all",
  appName: "all",
  domain: "all",
  imageRegistry: "all",
  kubeContext: "all",
  ingressKind: "all",
  tlsCertResolver: "all",
  developerGroups: ["feature", "cluster"],
  developerUsers: ["feature", "cluster"],
  qaGroups: ["cluster"],
  qaUsers: ["cluster"],
  ciOidcRepository: ["cluster"],
  alertReceivers: ["cluster"],
  imageTag: ["feature", "qa", "staging", "production"],
  hosts: ["feature", "qa", "staging", "production"],
  secretRefs: ["feature", "qa", "staging", "production"],
  imageTags: ["feature", "qa"],
  previewServices: ["feature"],
  replicas: ["feature", "qa"],
  resources: ["feature", "qa"],
  pdbMinAvailable: ["feature", "qa"],
  database: ["feature", "qa"],
  autoscaling: ["staging", "production"],
  dataRefresh: ["staging"],
  basicAuthUser: ["qa", "staging"],
  apiServerUrl: ["cluster"],
  github: ["cluster"],
  quotas: ["cluster"],
};

/** The longest workload name: `<name>-<environment>` is a label value (at most 63 characters). */
const LONGEST_WORKLOAD = [...SERVICE_CATALOGUE.map((s) => s.name), DATABASE_WORKLOAD, DATA_REFRESH_WORKLOAD].reduce((a, b) => (b.length > a.length ? b : a));
/** The longest name an app stack (= its namespace) may have. */
export const MAX_ENVIRONMENT_NAME = 63 - 1 - LONGEST_WORKLOAD.length;

/** Keys whose values may hold secrets: a problem names them and never shows the value. */
const SECRET_KEYS: ReadonlySet<string> = new Set(["alertReceivers"]);
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBJECT_NAME = /^[^\s]{1,253}$/;
const CRON = /^(\S+\s+){4}\S+$/;

/** Collects problems while reading; every reader returns undefined for absent or bad values. */
class Reader {
  readonly problems: string[] = [];
  /** Top-level keys that had a problem. */
  readonly failed = new Set<string>();

  constructor(private readonly raw: Record<string, string>) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  /** A problem with `key` (`a.b.c` paths allowed); the value is shown unless the key is secret. */
  fail(key: string, value: unknown, accepted: string): undefined {
    if (SECRET_KEYS.has(key.split(".")[0])) return this.failSecret(key, accepted);
    this.failed.add(key.split(".")[0]);
    this.problems.push(`${CONFIG_NAMESPACE}:${key} = ${show(value)}: ${accepted}`);
    return undefined;
  }

  /** A problem with a value that may hold a secret: named, never shown. */
  failSecret(key: string, accepted: string): undefined {
    this.failed.add(key.split(".")[0]);
    this.problems.push(`${CONFIG_NAMESPACE}:${key} (value not shown: it may be secret): ${accepted}`);
    return undefined;
  }

  string(key: string, pattern?: RegExp, accepted?: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (pattern && !pattern.test(value)) return this.fail(key, value, accepted ?? `must match ${pattern}`);
    return value;
  }

  json(key: string): unknown {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      // A plain string where structured config was expected.
      return value;
    }
  }

  integer(key: string, min: number, max: number): number | undefined {
    const value = this.json(key);
    if (value === undefined) return undefined;
    return checkInteger(this, key, value, min, max);
  }

  stringList(key: string, pattern: RegExp, accepted: string): string[] | undefined {
    const value = this.json(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
      return this.fail(key, value, "a list of strings");
    }
    const bad = value.filter((v: string) => !pattern.test(v));
    if (bad.length > 0) return this.fail(key, bad, accepted);
    return value as string[];
  }

  object(key: string): Record<string, unknown> | undefined {
    const value = this.json(key);
    if (value === undefined) return undefined;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(key, value, "an object (structured config: `pulumi config set --path`)");
    }
    return value as Record<string, unknown>;
  }

  /** A map from service name to a string value, checked against the catalogue. */
  serviceMap(key: string, pattern: RegExp, accepted: string): Record<string, string> | undefined {
    const value = this.object(key);
    if (value === undefined) return undefined;
    const result: Record<string, string> = {};
    for (const [service, v] of Object.entries(value)) {
      if (!isService(service)) {
        this.fail(`${key}.${service}`, v, `unknown service; services are ${serviceNames().join(", ")}`);
      } else if (typeof v !== "string" || !pattern.test(v)) {
        this.fail(`${key}.${service}`, v, accepted);
      } else {
        result[service] = v;
      }
    }
    return result;
  }
}

function checkInteger(r: Reader, key: string, value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === "string" && /^-?[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    return r.fail(key, value, `an integer from ${min} to ${max}`);
  }
  return n;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

function serviceNames(): string[] {
  return SERVICE_CATALOGUE.map((s) => s.name);
}

function isService(name: string): boolean {
  return SERVICE_CATALOGUE.some((s) => s.name === name);
}

/** The keys a locked stack may set beyond those every stack accepts: its parity deltas. */
export function parityDeltaKeys(kind: EnvironmentKind): string[] {
  return Object.entries(KEY_SCOPES)
    .filter(([, scope]) => scope !== "all" && scope.includes(kind))
    .map(([key]) => key);
}

/** The environment kind a stack name implies, if any. */
export function kindOfStack(stack: string): EnvironmentKind | undefined {
  if (FEATURE_STACK.test(stack)) return "feature";
  return (ENVIRONMENT_KINDS as readonly string[]).includes(stack) && stack !== "feature"
    ? (stack as EnvironmentKind)
    : undefined;
}

/** The base host of an environment: `pr-142.preview.<domain>`, `qa.<domain>`, `staging.<domain>`, `<domain>`. */
export function environmentHost(kind: AppKind, environment: string, domain: string): string {
  switch (kind) {
    case "feature":
      return `pr-${FEATURE_STACK.exec(environment)?.[1] ?? environment}.preview.${domain}`;
    case "production":
      return domain;
    default:
      return `${environment}.${domain}`;
  }
}

function readResources(r: Reader, key: string, value: unknown): ResourceRequirements | undefined {
  const accepted = "{requests: {cpu, memory}, limits: {cpu, memory}} with Kubernetes quantities";
  if (typeof value !== "object" || value === null) return r.fail(key, value, accepted);
  const v = value as Record<string, Record<string, unknown> | undefined>;
  const out: Record<string, Record<string, string>> = {};
  let ok = true;
  for (const part of ["requests", "limits"] as const) {
    out[part] = {};
    for (const res of ["cpu", "memory"] as const) {
      const q = v[part]?.[res];
      if (typeof q !== "string" && typeof q !== "number") {
        r.fail(`${key}.${part}.${res}`, q, "a Kubernetes quantity such as 250m or 512Mi");
        ok = false;
      } else if (parseQuantity(q) === undefined || parseQuantity(q) === 0) {
        r.fail(`${key}.${part}.${res}`, q, "a positive Kubernetes quantity such as 250m or 512Mi");
        ok = false;
      } else {
        out[part][res] = String(q);
      }
    }
  }
  if (!ok) return undefined;
  const result = out as unknown as ResourceRequirements;
  return checkLimits(r, key, result) ? result : undefined;
}

function checkLimits(r: Reader, key: string, res: ResourceRequirements): boolean {
  let ok = true;
  for (const name of ["cpu", "memory"] as const) {
    const request = parseQuantity(res.requests[name])!;
    const limit = parseQuantity(res.limits[name])!;
    if (limit < request) {
      r.fail(
        `${key}.limits.${name}`,
        res.limits[name],
        `limits must be at least the requests (requests.${name} is ${res.requests[name]})`,
      );
      ok = false;
    }
  }
  return ok;
}

function readAutoscaling(r: Reader, base: AutoscalingSettings): AutoscalingSettings | undefined {
  const value = r.object("autoscaling");
  if (value === undefined) return r.has("autoscaling") ? undefined : base;
  const unknown = Object.keys(value).filter((k) => !(k in base));
  for (const k of unknown) r.fail(`autoscaling.${k}`, value[k], `unknown field; fields are ${Object.keys(base).join(", ")}`);
  const minReplicas = value.minReplicas === undefined ? base.minReplicas : checkInteger(r, "autoscaling.minReplicas", value.minReplicas, 1, 100);
  const maxReplicas = value.maxReplicas === undefined ? base.maxReplicas : checkInteger(r, "autoscaling.maxReplicas", value.maxReplicas, 1, 200);
  const cpuUtilization = value.cpuUtilization === undefined ? base.cpuUtilization : checkInteger(r, "autoscaling.cpuUtilization", value.cpuUtilization, 10, 100);
  const memoryUtilization = value.memoryUtilization === undefined ? base.memoryUtilization : checkInteger(r, "autoscaling.memoryUtilization", value.memoryUtilization, 10, 100);
  if (minReplicas === undefined || maxReplicas === undefined || cpuUtilization === undefined || memoryUtilization === undefined) return undefined;
  if (maxReplicas < minReplicas) {
    return r.fail("autoscaling.maxReplicas", maxReplicas, `must be at least autoscaling.minReplicas (${minReplicas})`);
  }
  return { minReplicas, maxReplicas, cpuUtilization, memoryUtilization };
}

function readGroupLists(r: Reader): AccessSettings {
  const accepted = "a list of RBAC subject names without spaces";
  return {
    developerGroups: r.stringList("developerGroups", SUBJECT_NAME, accepted) ?? [...DEFAULT_GROUPS.developers],
    developerUsers: r.stringList("developerUsers", SUBJECT_NAME, accepted) ?? [],
    qaGroups: r.stringList("qaGroups", SUBJECT_NAME, accepted) ?? [...DEFAULT_GROUPS.qa],
    qaUsers: r.stringList("qaUsers", SUBJECT_NAME, accepted) ?? [],
  };
}

/**
 * Whether the environment's pods fit its ResourceQuota: every service at its replicas plus the
 * database, plus room for the largest single extra pod a deploy needs (a migrations Job; a surge
 * pod when the rollout may not take a pod down first). Names the keys a user can change and the
 * numbers on both sides.
 */
function checkQuotaFit(r: Reader, services: ServiceSettings[], database: ResourceRequirements, quota: QuotaProfile, maxUnavailable: number) {
  const keys = ["replicas", "resources", "previewServices"].filter((k) => r.has(k));
  // Sizes are only meaningful once the keys that set them are valid.
  if (keys.length === 0 || [...keys, "environmentKind"].some((k) => r.failed.has(k))) return;
  type Dim = "requests.cpu" | "requests.memory" | "limits.cpu" | "limits.memory";
  const of = (res: ResourceRequirements): Record<Dim, number> => ({
    "requests.cpu": parseQuantity(res.requests.cpu) ?? 0,
    "requests.memory": parseQuantity(res.requests.memory) ?? 0,
    "limits.cpu": parseQuantity(res.limits.cpu) ?? 0,
    "limits.memory": parseQuantity(res.limits.memory) ?? 0,
  });
  const quotaText: Record<Dim | "pods", string> = {
    "requests.cpu": quota.requestsCpu,
    "requests.memory": quota.requestsMemory,
    "limits.cpu": quota.limitsCpu,
    "limits.memory": quota.limitsMemory,
    pods: String(quota.pods),
  };
  const steady: Record<Dim | "pods", number> = { ...of(database), pods: 1 };
  const extras: Record<Dim, number>[] = [];
  for (const s of services) {
    const replicas = s.replicas ?? s.autoscaling?.maxReplicas ?? 1;
    const pod = of(s.resources);
    for (const d of Object.keys(pod) as Dim[]) steady[d] += replicas * pod[d];
    steady.pods += replicas;
    if (s.migrations) extras.push(of(JOB_RESOURCES));
    if (maxUnavailable === 0) extras.push(pod);
  }
  const show = (d: Dim | "pods", v: number) => (d === "pods" ? String(v) : d.endsWith("cpu") ? formatCpu(v) : formatMemory(v));
  for (const d of ["pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const) {
    const extra = d === "pods" ? (extras.length > 0 ? 1 : 0) : Math.max(0, ...extras.map((e) => e[d]));
    const need = steady[d] + extra;
    const limit = parseQuantity(quotaText[d]) ?? Infinity;
    if (need > limit + 1e-9) {
      r.problems.push(
        `${keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}: ${services.length} service(s) at these replicas and resources, the database` +
          `${extra > 0 ? " and one pod of headroom for a deploy" : ""} need ${d} ${show(d, need)}, more than the environment's quota of ${quotaText[d]}`,
      );
    }
  }
}

function guardrailsFor(kind: AppKind, environment: string, quota: QuotaProfile): GuardrailSettings {
  const profile = KIND_PROFILES[kind];
  const ports = [...new Set(SERVICE_CATALOGUE.map((s) => s.port))];
  const ingressPorts = [...new Set(SERVICE_CATALOGUE.filter((s) => s.hostPrefix !== undefined).map((s) => s.port))];
  return {
    environment,
    kind,
    quota,
    protect: profile.protect,
    ...profile.guardrails,
    appPorts: ports,
    ingressPorts,
    databasePort: DATABASE_DEFAULTS.port,
  };
}

function readQuotaOverrides(r: Reader): Record<string, QuotaProfile> {
  const result: Record<string, QuotaProfile> = {};
  const value = r.object("quotas") ?? {};
  for (const env of LONG_LIVED_ENVIRONMENTS) result[env] = KIND_PROFILES[env].quota;
  for (const [env, override] of Object.entries(value)) {
    if (!(LONG_LIVED_ENVIRONMENTS as readonly string[]).includes(env)) {
      r.fail(`quotas.${env}`, override, `unknown environment; quotas can be set for ${LONG_LIVED_ENVIRONMENTS.join(", ")}`);
      continue;
    }
    const base = result[env];
    const merged = { ...base } as Record<string, string | number>;
    for (const [field, q] of Object.entries((override ?? {}) as Record<string, unknown>)) {
      if (!(field in base)) {
        r.fail(`quotas.${env}.${field}`, q, `unknown field; fields are ${Object.keys(base).join(", ")}`);
      } else if (typeof base[field as keyof QuotaProfile] === "number") {
        const n = checkInteger(r, `quotas.${env}.${field}`, q, 0, 10000);
        if (n !== undefined) merged[field] = n;
      } else if ((typeof q !== "string" && typeof q !== "number") || parseQuantity(q) === undefined) {
        r.fail(`quotas.${env}.${field}`, q, "a Kubernetes quantity such as 8 or 16Gi");
      } else {
        merged[field] = String(q);
      }
    }
    result[env] = merged as unknown as QuotaProfile;
  }
  return result;
}

function readReviewers(r: Reader, key: string, value: unknown): { teams: string[]; users: string[] } {
  if (value === undefined) return { teams: [], users: [] };
  const v = value as Record<string, unknown>;
  const list = (field: string): string[] => {
    const items = v[field];
    if (items === undefined) return [];
    if (!Array.isArray(items) || items.some((i) => typeof i !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(i))) {
      r.fail(`${key}.${field}`, items, "a list of GitHub team slugs or user logins");
      return [];
    }
    return items as string[];
  };
  return { teams: list("teams"), users: list("users") };
}

const HTTP_URL = { pattern: /^https?:\/\/[^\s/]+\S*$/, accepted: "an http(s):// URL" };
/** The fields of each receiver type: whether required, and what a value must look like. */
const RECEIVER_FIELDS: Record<ReceiverTarget["type"], Record<string, { required: boolean; pattern: RegExp; accepted: string }>> = {
  pagerduty: {
    routingKey: { required: true, pattern: /^[A-Za-z0-9]{32}$/, accepted: "a PagerDuty Events API v2 integration key (32 letters and digits)" },
  },
  slack: {
    webhookUrl: { required: true, ...HTTP_URL },
    channel: { required: false, pattern: /^[#@]?[a-z0-9._-]{1,80}$/, accepted: "a Slack channel such as #staging-alerts" },
  },
  webhook: { url: { required: true, ...HTTP_URL } },
};

/**
 * `alertReceivers`: `{ paging?: target, chat?: target }`, each target `{ type: pagerduty,
 * routingKey }`, `{ type: slack, webhookUrl, channel? }` or `{ type: webhook, url }`. A secret key
 * (`SECRET_KEYS`): its problems name the field and never show the value.
 */
function readAlertReceivers(r: Reader): AlertReceivers {
  const key = "alertReceivers";
  const value = r.json(key);
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    r.fail(key, value, "an object { paging?, chat? } (set it with `pulumi config set --secret --path`)");
    return {};
  }
  const result: AlertReceivers = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const at = `${key}.${name}`;
    if (name !== "paging" && name !== "chat") {
      r.fail(at, raw, "unknown receiver; receivers are paging (critical alerts) and chat (every other alert)");
      continue;
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      r.fail(at, raw, "an object with a type (pagerduty, slack or webhook) and its fields");
      continue;
    }
    const target = raw as Record<string, unknown>;
    if (typeof target.type !== "string" || !Object.hasOwn(RECEIVER_FIELDS, target.type)) {
      r.fail(`${at}.type`, target.type, `one of ${Object.keys(RECEIVER_FIELDS).join(", ")}`);
      continue;
    }
    const fields = RECEIVER_FIELDS[target.type as ReceiverTarget["type"]];
    const problems = r.problems.length;
    for (const f of Object.keys(target)) {
      if (f !== "type" && !Object.hasOwn(fields, f)) {
        r.fail(`${at}.${f}`, target[f], `unknown field for type ${target.type}; fields are ${Object.keys(fields).join(", ")}`);
      }
    }
    for (const [f, spec] of Object.entries(fields)) {
      const v = target[f];
      if (v === undefined || (spec.required && v === "")) {
        if (spec.required) r.fail(`${at}.${f}`, v, `required for type ${target.type}`);
      } else if (typeof v !== "string" || !spec.pattern.test(v)) {
        r.fail(`${at}.${f}`, v, spec.accepted);
      }
    }
    if (r.problems.length === problems) result[name] = target as unknown as ReceiverTarget;
  }
  return result;
}

function readGitHub(r: Reader): GitHubSettings {
  const value = r.object("github") ?? {};
  const known = ["enabled", "owner", "repository", "qaReviewers", "releaseApprovers", "preventSelfReview", "productionBranch"];
  for (const k of Object.keys(value)) {
    if (!known.includes(k)) r.fail(`github.${k}`, value[k], `unknown field; fields are ${known.join(", ")}`);
  }
  const enabled = value.enabled === undefined ? false : value.enabled;
  if (typeof enabled !== "boolean") r.fail("github.enabled", enabled, "true or false");
  const str = (field: string, fallback: string, pattern: RegExp): string => {
    const v = value[field];
    if (v === undefined) return fallback;
    if (typeof v !== "string" || !pattern.test(v)) {
      r.fail(`github.${field}`, v, `a string matching ${pattern}`);
      return fallback;
    }
    return v;
  };
  const settings: GitHubSettings = {
    enabled: enabled === true,
    owner: str("owner", "", /^[A-Za-z0-9][A-Za-z0-9-]*$/),
    repository: str("repository", "", /^[A-Za-z0-9_.-]+$/),
    qaReviewers: readReviewers(r, "github.qaReviewers", value.qaReviewers),
    releaseApprovers: readReviewers(r, "github.releaseApprovers", value.releaseApprovers),
    preventSelfReview: value.preventSelfReview === undefined ? true : value.preventSelfReview === true,
    // No wildcards: a pattern would admit branches any developer can create.
    productionBranch: str("productionBranch", "main", /^[A-Za-z0-9._/-]+$/),
  };
  if (value.preventSelfReview !== undefined && typeof value.preventSelfReview !== "boolean") {
    r.fail("github.preventSelfReview", value.preventSelfReview, "true or false");
  }
  if (!settings.enabled) {
    settings.disabledReason = "github.enabled is not true (no repository configured)";
  } else {
    if (!settings.owner) r.fail("github.owner", value.owner, "the repository owner, required when github.enabled is true");
    if (!settings.repository) r.fail("github.repository", value.repository, "the repository name, required when github.enabled is true");
    const approvers = settings.releaseApprovers.teams.length + settings.releaseApprovers.users.length;
    if (approvers === 0) {
      r.fail("github.releaseApprovers", value.releaseApprovers, "at least one team or user: production deploys need a reviewer");
    }
    if (settings.qaReviewers.teams.length + settings.qaReviewers.users.length === 0) {
      r.fail("github.qaReviewers", value.qaReviewers, "at least one team or user: staging deploys need QA approval");
    }
  }
  return settings;
}

function readDataRefresh(r: Reader, registry: string, tag: string): DataRefreshSettings {
  const value = r.object("dataRefresh") ?? {};
  const known = ["schedule", "image", "source", "anonymize"];
  for (const k of Object.keys(value)) {
    if (!known.includes(k)) r.fail(`dataRefresh.${k}`, value[k], `unknown field; fields are ${known.join(", ")}`);
  }
  if (value.anonymize !== undefined && value.anonymize !== true) {
    r.fail("dataRefresh.anonymize", value.anonymize, "only true: copying production data to staging without anonymising PII is not allowed");
  }
  const schedule = value.schedule ?? "0 2 * * 0";
  if (typeof schedule !== "string" || !CRON.test(schedule)) r.fail("dataRefresh.schedule", schedule, "a five-field cron schedule such as \"0 2 * * 0\"");
  const image = value.image ?? `${registry}/tools:${tag}`;
  if (typeof image !== "string" || !/^[^\s:]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.test(image)) {
    r.fail("dataRefresh.image", image, "an image reference with an explicit tag");
  }
  const source = value.source ?? "backup://production/latest";
  if (typeof source !== "string" || !/^[a-z0-9+.-]+:\/\/\S+$/.test(source)) {
    r.fail("dataRefresh.source", source, "a backup URL such as s3://backups/production/latest.dump");
  }
  return { schedule: String(schedule), image: String(image), source: String(source), anonymize: true };
}

function readDatabase(r: Reader, profile: KindProfile): DatabaseSettings {
  const value = r.object("database") ?? {};
  const known = ["image", "storageSize", "storageClass"];
  for (const k of Object.keys(value)) {
    if (!known.includes(k)) r.fail(`database.${k}`, value[k], `unknown field; fields are ${known.join(", ")}`);
  }
  const image = value.image ?? DATABASE_DEFAULTS.image;
  if (typeof image !== "string" || !/^[^\s:]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(image) || image.endsWith(":latest")) {
    r.fail("database.image", image, "an image reference with an explicit tag other than latest, e.g. postgres:17-alpine");
  }
  const storageSize = value.storageSize ?? DATABASE_DEFAULTS.storageSize;
  if ((typeof storageSize !== "string" && typeof storageSize !== "number") || !parseQuantity(storageSize)) {
    r.fail("database.storageSize", storageSize, "a positive quantity such as 10Gi");
  }
  if (value.storageClass !== undefined && (typeof value.storageClass !== "string" || !DNS_NAME.test(value.storageClass))) {
    r.fail("database.storageClass", value.storageClass, "a StorageClass name");
  }
  return {
    mode: profile.database,
    image: String(image),
    port: DATABASE_DEFAULTS.port,
    storageSize: String(storageSize),
    storageClass: value.storageClass as string | undefined,
    resources: profile.database === "ephemeral" ? DATABASE_DEFAULTS.ephemeralResources : DATABASE_DEFAULTS.resources,
  };
}

function readApp(r: Reader, kind: AppKind, environment: string, common: Common): AppSettings {
  const profile = KIND_PROFILES[kind];
  const imageTag = r.string("imageTag", IMAGE_TAG, "a Docker image tag: letters, digits, _ . - (at most 128), e.g. a commit SHA");
  if (imageTag === undefined && !r.has("imageTag")) {
    r.fail("imageTag", undefined, "required: the image tag to deploy (CI sets it with `pulumi config set imageTag <sha>`)");
  }
  if (imageTag === "latest" && kind !== "feature") {
    r.fail("imageTag", imageTag, "a pinned tag: `latest` is only accepted in feature environments");
  }
  const imageTags = r.serviceMap("imageTags", IMAGE_TAG, "a Docker image tag");
  const hosts = r.serviceMap("hosts", DNS_NAME, "a lower-case DNS host name such as staging-api.example.com");
  const secretRefs = r.serviceMap("secretRefs", DNS_NAME, "a Secret name (lower-case DNS subdomain)");
  const previewServices = r.stringList("previewServices", /^.*$/, "");
  for (const s of previewServices ?? []) {
    if (!isService(s)) r.fail("previewServices", s, `unknown service; services are ${serviceNames().join(", ")}`);
  }
  if (previewServices !== undefined && previewServices.length === 0) {
    r.fail("previewServices", previewServices, "at least one service (omit the key to deploy all)");
  }
  for (const [service, host] of Object.entries(hosts ?? {})) {
    if (SERVICE_CATALOGUE.find((s) => s.name === service)?.hostPrefix === undefined) {
      r.fail(`hosts.${service}`, host, "this service has no ingress; hosts can be set for services with an ingress");
    }
  }

  const replicas = r.integer("replicas", 1, 50) ?? profile.replicas;
  const autoscaling = profile.autoscaling ? readAutoscaling(r, profile.autoscaling) : undefined;
  const pdbMinAvailable = r.integer("pdbMinAvailable", 1, 50) ?? profile.pdbMinAvailable;
  const scaleFloor = autoscaling ? autoscaling.minReplicas : replicas;
  if (pdbMinAvailable !== undefined && scaleFloor !== undefined && pdbMinAvailable >= scaleFloor) {
    if (autoscaling) {
      r.fail("autoscaling.minReplicas", scaleFloor, `must exceed the PDB minAvailable (${pdbMinAvailable}) so a pod can be evicted: at least ${pdbMinAvailable + 1}`);
    } else {
      r.fail("pdbMinAvailable", pdbMinAvailable, `must be below replicas (${scaleFloor}) so a pod can be evicted: at most ${scaleFloor - 1}`);
    }
  }

  let resourceOverrides: Record<string, ResourceRequirements> = {};
  const resourcesValue = r.object("resources");
  if (resourcesValue !== undefined) {
    for (const [service, v] of Object.entries(resourcesValue)) {
      if (!isService(service)) {
        r.fail(`resources.${service}`, v, `unknown service; services are ${serviceNames().join(", ")}`);
        continue;
      }
      const parsed = readResources(r, `resources.${service}`, v);
      if (parsed) resourceOverrides = { ...resourceOverrides, [service]: parsed };
    }
  }

  const host = environmentHost(kind, environment, common.domain);
  const deployed = new Set(kind === "feature" && previewServices ? previewServices : serviceNames());
  const tag = imageTag ?? "invalid";
  const services: ServiceSettings[] = SERVICE_CATALOGUE.filter((s) => deployed.has(s.name)).map((s) => ({
    ...s,
    image: { repository: `${common.imageRegistry}/${s.name}`, tag: imageTags?.[s.name] ?? tag },
    resources: resourceOverrides[s.name] ?? profile.resources ?? s.resources,
    replicas: autoscaling ? undefined : replicas,
    autoscaling,
    pdbMinAvailable,
    host:
      s.hostPrefix === undefined ? undefined : (hosts?.[s.name] ?? (s.hostPrefix ? `${s.hostPrefix}.${host}` : host)),
    secretRef: secretRefs?.[s.name] ?? `${s.name}-secrets`,
  }));
  for (const [service, t] of Object.entries(imageTags ?? {})) {
    if (!deployed.has(service)) r.fail(`imageTags.${service}`, t, "this service is not deployed by this preview (see previewServices)");
  }

  const basicAuthUser = r.string("basicAuthUser", /^[A-Za-z0-9._-]{1,64}$/, "a user name of letters, digits, . _ -") ?? "team";
  const database = readDatabase(r, profile);
  // A preview owns its quota (the cluster stack owns, and may override, the others'): check that
  // what it asks for fits before any object is created.
  if (kind === "feature") checkQuotaFit(r, services, database.resources, profile.quota, profile.rollout.maxUnavailable);
  return {
    kind,
    environment,
    namespace: environment,
    appName: common.appName,
    imageTag: tag,
    services,
    borrowed: serviceNames().filter((n) => !deployed.has(n)),
    rollout: profile.rollout,
    ingress: {
      kind: common.ingressKind,
      className: "traefik",
      certResolver: common.tlsCertResolver,
      basicAuthUser: profile.basicAuth ? basicAuthUser : undefined,
    },
    database,
    dataRefresh: kind === "staging" ? readDataRefresh(r, common.imageRegistry, tag) : undefined,
    alerts: profile.alerts,
    protect: profile.protect,
    optionalSecrets: profile.optionalSecrets,
    logLevel: profile.logLevel,
    migrationRetries: profile.migrationRetries,
    guardrails: kind === "feature" ? guardrailsFor(kind, environment, profile.quota) : undefined,
    access: common.access,
  };
}

interface Common {
  appName: string;
  domain: string;
  imageRegistry: string;
  ingressKind: "ingress" | "ingressroute";
  tlsCertResolver?: string;
  access: AccessSettings;
}

/**
 * Validates a raw config map (keys without the `team-environments:` prefix, values as Pulumi
 * passes them: strings, JSON for structured values) for the given stack. Pure: tests call it directly.
 */
export function parseSettings(stack: string, raw: Record<string, string>): Settings {
  const r = new Reader(raw);

  const derived = kindOfStack(stack);
  const explicit = r.string("environmentKind", new RegExp(`^(${ENVIRONMENT_KINDS.join("|")})$`), `one of ${ENVIRONMENT_KINDS.join(", ")}`);
  if (explicit !== undefined && derived !== undefined && explicit !== derived) {
    r.fail("environmentKind", explicit, `must agree with the stack name "${stack}", which implies ${derived}`);
  }
  const kind = (explicit ?? derived) as EnvironmentKind | undefined;
  if (kind === undefined && !r.has("environmentKind")) {
    r.problems.push(
      `stack "${stack}": cannot tell its environment kind; name the stack qa, staging, production, cluster or feature-pr-<N>, or set ${CONFIG_NAMESPACE}:environmentKind`,
    );
  }
  if (kind === "feature" && !FEATURE_STACK.test(stack)) {
    r.fail("environmentKind", kind, `feature stacks must be named feature-pr-<N> (got "${stack}")`);
  }
  if (kind !== undefined && kind !== "cluster" && (!DNS_LABEL.test(stack) || stack.length > MAX_ENVIRONMENT_NAME)) {
    r.problems.push(
      `stack "${stack}": an app stack's name is its namespace and part of its labels: it must be a lower-case DNS label ` +
        `(letters, digits, -) of at most ${MAX_ENVIRONMENT_NAME} characters, so that "app.kubernetes.io/instance: ${LONGEST_WORKLOAD}-<name>" fits 63`,
    );
  }

  if (kind !== undefined) {
    for (const key of Object.keys(raw)) {
      const scope = KEY_SCOPES[key];
      if (scope === undefined) {
        // Never shown: a misspelt secret key (alertReceiver for alertReceivers) holds a secret.
        r.failSecret(key, `unknown key; known keys are ${Object.keys(KEY_SCOPES).join(", ")}`);
      } else if (scope !== "all" && !scope.includes(kind)) {
        const why = (LOCKED_ENVIRONMENTS as readonly string[]).includes(kind)
          ? `; ${kind} may only differ from its peer by ${parityDeltaKeys(kind).join(", ")}`
          : "";
        r.fail(key, raw[key], `not accepted in ${kind} stacks (accepted in: ${scope.join(", ")})${why}`);
      }
    }
  }

  const common: Common = {
    appName: r.string("appName", DNS_LABEL, "a lower-case DNS label such as myapp") ?? DEFAULT_APP_NAME,
    domain: r.string("domain", DNS_NAME, "a lower-case DNS domain such as yourteam.dev") ?? "yourteam.dev",
    imageRegistry:
      r.string("imageRegistry", IMAGE_REPOSITORY, "an image repository prefix such as ghcr.io/yourorg/myapp") ??
      "ghcr.io/yourorg/myapp",
    ingressKind: (r.string("ingressKind", /^(ingress|ingressroute)$/, "ingress (networking.k8s.io/v1) or ingressroute (Traefik CRD)") ??
      "ingressroute") as Common["ingressKind"],
    tlsCertResolver: r.string("tlsCertResolver", /^[A-Za-z0-9_-]+$/, "a Traefik cert resolver name"),
    access: readGroupLists(r),
  };
  const kubeContext = r.string("kubeContext", /^\S+$/, "a kubeconfig context name");

  let settings: Settings | undefined;
  if (kind === "cluster") {
    const quotas = readQuotaOverrides(r);
    const hosts: Record<string, string> = {};
    for (const env of LONG_LIVED_ENVIRONMENTS) hosts[env] = environmentHost(env, env, common.domain);
    settings = {
      kind,
      stack,
      kubeContext,
      cluster: {
        appName: common.appName,
        domain: common.domain,
        access: common.access,
        environments: LONG_LIVED_ENVIRONMENTS.map((env) => guardrailsFor(env, env, quotas[env])),
        apiServerUrl: r.string("apiServerUrl", /^https:\/\/\S+$/, "an https:// URL of the Kubernetes API server") ?? "https://127.0.0.1:6443",
        github: readGitHub(r),
        ciOidcRepository: r.string("ciOidcRepository", /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "a GitHub repository as owner/name"),
        hosts,
        alerting: {
          environments: LONG_LIVED_ENVIRONMENTS.flatMap((env) => {
            const alerts = KIND_PROFILES[env].alerts;
            return alerts ? [{ environment: env, severity: alerts.severity }] : [];
          }),
          receivers: readAlertReceivers(r),
        },
        dashboard: {
          services: serviceNames(),
          // Production first: the dashboard opens on it.
          environments: [...LONG_LIVED_ENVIRONMENTS].reverse(),
          previewPattern: FEATURE_ENVIRONMENT_PATTERN,
        },
      },
    };
  } else if (kind !== undefined) {
    settings = { kind, stack, kubeContext, app: readApp(r, kind, stack, common) };
  }

  if (r.problems.length > 0 || settings === undefined) throw new ConfigError(r.problems);
  return deepFreeze(settings);
}

/** Reads this stack's config and returns validated settings (see `parseSettings`). */
export function loadSettings(): Settings {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  return parseSettings(pulumi.getStack(), raw);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
