/**
 * An app stack's settings (feature, qa, staging, production): the catalogue's services with this
 * environment's images, hosts, replicas and resources, its database, ingress and data refresh.
 * Everything that depends on the kind comes from its profile (base/profiles.ts).
 */
import { DATABASE_DEFAULTS, ResourceRequirements, SERVICE_CATALOGUE, ServiceDefinition } from "../base/catalogue";
import { KIND_PROFILES, KindProfile } from "../base/profiles";
import { parseQuantity } from "../k8s/quantity";
import { AppKind, LOCKED_ENVIRONMENTS, serviceSecretName } from "../policy/conventions";
import { Common } from "./common";
import { environmentHost, guardrailsFor } from "./environment";
import { DNS_NAME, IMAGE_TAG } from "./keys";
import { checkQuotaFit } from "./quota-fit";
import { isService, Reader, serviceNames } from "./reader";
import { AppSettings, AutoscalingSettings, DatabaseSettings, DataRefreshSettings, ServiceSettings } from "./settings";

/** Reads everything an app stack deploys; undefined when a required value is missing or invalid. */
export function readApp(r: Reader, kind: AppKind, environment: string, common: Common): AppSettings | undefined {
  const profile = KIND_PROFILES[kind];
  const images = readImages(r, profile);
  const deployed = readDeployed(r);
  const scaling = readScaling(r, profile);
  const sized = sizeServices(r, deployed, profile, scaling);
  const database = readDatabase(r, kind, profile);
  if (profile.ownsGuardrails) checkQuotaFit(r, sized, database.resources, profile.quota, profile.rollout.maxUnavailable);
  const services = placeServices(r, kind, environment, common, sized);
  for (const [service, t] of Object.entries(images.perService)) {
    if (!deployed.has(service)) r.fail(`imageTags.${service}`, t, "this service is not deployed by this preview (see previewServices)");
  }
  const basicAuthUser = r.setting("basicAuthUser");
  const dataRefresh = profile.dataRefresh ? readDataRefresh(r, common.imageRegistry, images.tag) : undefined;
  if (images.tag === undefined) return undefined;
  const tag = images.tag;
  return {
    kind,
    environment,
    namespace: environment,
    appName: common.appName,
    imageTag: tag,
    services: services.map((s) => ({ ...s, image: { repository: `${common.imageRegistry}/${s.name}`, tag: images.perService[s.name] ?? tag } })),
    borrowed: serviceNames().filter((n) => !deployed.has(n)),
    rollout: profile.rollout,
    ingress: { kind: common.ingressKind, className: "traefik", certResolver: common.tlsCertResolver, basicAuthUser: profile.basicAuth ? basicAuthUser : undefined },
    database,
    dataRefresh,
    alerts: profile.alerts,
    protect: profile.protect,
    optionalSecrets: profile.optionalSecrets,
    logLevel: profile.logLevel,
    migrationRetries: profile.migrationRetries,
    guardrails: profile.ownsGuardrails ? guardrailsFor(kind, environment, profile.quota) : undefined,
    access: common.access,
  };
}

/** `imageTag` (required; `latest` only where the profile allows it) and the per-service `imageTags`. */
function readImages(r: Reader, profile: KindProfile): { tag?: string; perService: Record<string, string> } {
  const tag = r.setting("imageTag");
  if (tag === undefined && !r.has("imageTag")) {
    r.fail("imageTag", undefined, "required: the image tag to deploy (CI sets it with `pulumi config set imageTag <sha>`)");
  }
  if (tag === "latest" && !profile.latestTag) {
    r.fail("imageTag", tag, "a pinned tag: `latest` is only accepted in feature environments");
  }
  return { tag, perService: r.serviceMap("imageTags", IMAGE_TAG, "a Docker image tag") ?? {} };
}

/** The services this environment deploys: all of them, or a preview's `previewServices` (a key only previews accept). */
function readDeployed(r: Reader): Set<string> {
  const previewServices = r.stringList("previewServices", /^.*$/, "");
  for (const s of previewServices ?? []) {
    if (!isService(s)) r.fail("previewServices", s, `unknown service; services are ${serviceNames().join(", ")}`);
  }
  if (previewServices !== undefined && previewServices.length === 0) {
    r.fail("previewServices", previewServices, "at least one service (omit the key to deploy all)");
  }
  return new Set(previewServices ?? serviceNames());
}

interface Scaling {
  replicas?: number;
  autoscaling?: AutoscalingSettings;
  pdbMinAvailable?: number;
}

/** Replicas or autoscaling bounds, and a PDB that still lets a pod be evicted. */
function readScaling(r: Reader, profile: KindProfile): Scaling {
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
  return { replicas: autoscaling ? undefined : replicas, autoscaling, pdbMinAvailable };
}

function readAutoscaling(r: Reader, base: AutoscalingSettings): AutoscalingSettings | undefined {
  const value = r.object("autoscaling");
  if (value === undefined) return r.has("autoscaling") ? undefined : base;
  r.unknownFields("autoscaling", value, Object.keys(base));
  const field = (name: keyof AutoscalingSettings, min: number, max: number) =>
    value[name] === undefined ? base[name] : r.checkInteger(`autoscaling.${name}`, value[name], min, max);
  const minReplicas = field("minReplicas", 1, 100);
  const maxReplicas = field("maxReplicas", 1, 200);
  const cpuUtilization = field("cpuUtilization", 10, 100);
  const memoryUtilization = field("memoryUtilization", 10, 100);
  if (minReplicas === undefined || maxReplicas === undefined || cpuUtilization === undefined || memoryUtilization === undefined) return undefined;
  if (maxReplicas < minReplicas) {
    return r.fail("autoscaling.maxReplicas", maxReplicas, `must be at least autoscaling.minReplicas (${minReplicas})`);
  }
  return { minReplicas, maxReplicas, cpuUtilization, memoryUtilization };
}

type SizedDefinition = ServiceDefinition & Pick<ServiceSettings, "resources" | "replicas" | "autoscaling" | "pdbMinAvailable">;

/** The deployed services at this environment's size: `resources` overrides, else the profile's, else the catalogue's. */
function sizeServices(r: Reader, deployed: Set<string>, profile: KindProfile, scaling: Scaling): SizedDefinition[] {
  const overrides: Record<string, ResourceRequirements> = {};
  for (const [service, v] of Object.entries(r.object("resources") ?? {})) {
    if (!isService(service)) {
      r.fail(`resources.${service}`, v, `unknown service; services are ${serviceNames().join(", ")}`);
      continue;
    }
    const parsed = readResources(r, `resources.${service}`, v);
    if (parsed) overrides[service] = parsed;
  }
  return SERVICE_CATALOGUE.filter((s) => deployed.has(s.name)).map((s) => ({
    ...s,
    resources: overrides[s.name] ?? profile.resources ?? s.resources,
    ...scaling,
  }));
}

/** Where each service is reached (`hosts` overrides the derived host) and which Secret it reads (`secretRefs`). */
function placeServices(r: Reader, kind: AppKind, environment: string, common: Common, sized: SizedDefinition[]): Omit<ServiceSettings, "image">[] {
  const hosts = r.serviceMap("hosts", DNS_NAME, "a lower-case DNS host name such as staging-api.example.com") ?? {};
  const secretRefs = r.serviceMap("secretRefs", DNS_NAME, "a Secret name (lower-case DNS subdomain)") ?? {};
  for (const [service, host] of Object.entries(hosts)) {
    if (SERVICE_CATALOGUE.find((s) => s.name === service)?.hostPrefix === undefined) {
      r.fail(`hosts.${service}`, host, "this service has no ingress; hosts can be set for services with an ingress");
    }
  }
  const base = environmentHost(kind, environment, common.domain);
  return sized.map((s) => ({
    ...s,
    host: s.hostPrefix === undefined ? undefined : (hosts[s.name] ?? (s.hostPrefix ? `${s.hostPrefix}.${base}` : base)),
    secretRef: serviceSecretName(s.name, secretRefs),
  }));
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
        ok = r.fail(`${key}.${part}.${res}`, q, "a Kubernetes quantity such as 250m or 512Mi") ?? false;
      } else if (!parseQuantity(q)) {
        ok = r.fail(`${key}.${part}.${res}`, q, "a positive Kubernetes quantity such as 250m or 512Mi") ?? false;
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
    if (parseQuantity(res.limits[name])! < parseQuantity(res.requests[name])!) {
      r.fail(`${key}.limits.${name}`, res.limits[name], `limits must be at least the requests (requests.${name} is ${res.requests[name]})`);
      ok = false;
    }
  }
  return ok;
}

/**
 * `database`. Staging and production may set its image only (a private registry's copy, the same in
 * both: the parity rule compares the image); their storage is the profile's.
 */
function readDatabase(r: Reader, kind: AppKind, profile: KindProfile): DatabaseSettings {
  const value = r.object("database") ?? {};
  r.unknownFields("database", value, ["image", "storageSize", "storageClass"]);
  if ((LOCKED_ENVIRONMENTS as readonly string[]).includes(kind)) {
    for (const field of ["storageSize", "storageClass"].filter((f) => f in value)) {
      r.fail(`database.${field}`, value[field], `not accepted in ${kind} stacks: only database.image may be set there (the same as its peer's)`);
    }
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

const CRON = /^(\S+\s+){4}\S+$/;

/** Staging's `dataRefresh`; its image defaults to the tools image at the stack's tag (undefined when that tag is invalid). */
function readDataRefresh(r: Reader, registry: string, tag: string | undefined): DataRefreshSettings | undefined {
  const value = r.object("dataRefresh") ?? {};
  r.unknownFields("dataRefresh", value, ["schedule", "image", "source", "anonymize"]);
  if (value.anonymize !== undefined && value.anonymize !== true) {
    r.fail("dataRefresh.anonymize", value.anonymize, "only true: copying production data to staging without anonymising PII is not allowed");
  }
  const schedule = value.schedule ?? "0 2 * * 0";
  if (typeof schedule !== "string" || !CRON.test(schedule)) r.fail("dataRefresh.schedule", schedule, "a five-field cron schedule such as \"0 2 * * 0\"");
  const image = value.image ?? (tag === undefined ? undefined : `${registry}/tools:${tag}`);
  if (image !== undefined && (typeof image !== "string" || !/^[^\s:]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.test(image))) {
    r.fail("dataRefresh.image", image, "an image reference with an explicit tag");
  }
  const source = value.source ?? "backup://production/latest";
  if (typeof source !== "string" || !/^[a-z0-9+.-]+:\/\/\S+$/.test(source)) {
    r.fail("dataRefresh.source", source, "a backup URL such as s3://backups/production/latest.dump");
  }
  if (image === undefined) return undefined;
  return { schedule: String(schedule), image: String(image), source: String(source), anonymize: true };
}
