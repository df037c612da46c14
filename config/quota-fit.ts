/**
 * Whether a preview's pods fit its own ResourceQuota, checked before any object is created: a
 * preview owns its quota (the cluster stack owns, and may override, the others').
 */
import { JOB_RESOURCES, ResourceRequirements } from "../base/catalogue";
import { QuotaProfile } from "../base/profiles";
import { formatCpu, formatMemory, parseQuantity } from "../k8s/quantity";
import { CONFIG_NAMESPACE, Reader } from "./reader";
import { ServiceSettings } from "./settings";

type Dim = "requests.cpu" | "requests.memory" | "limits.cpu" | "limits.memory";
const DIMENSIONS = ["pods", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

/** The sizes of one pod, as numbers. */
function sizeOf(res: ResourceRequirements): Record<Dim, number> {
  return {
    "requests.cpu": parseQuantity(res.requests.cpu) ?? 0,
    "requests.memory": parseQuantity(res.requests.memory) ?? 0,
    "limits.cpu": parseQuantity(res.limits.cpu) ?? 0,
    "limits.memory": parseQuantity(res.limits.memory) ?? 0,
  };
}

function quotaOf(quota: QuotaProfile): Record<Dim | "pods", string> {
  return {
    "requests.cpu": quota.requestsCpu,
    "requests.memory": quota.requestsMemory,
    "limits.cpu": quota.limitsCpu,
    "limits.memory": quota.limitsMemory,
    pods: String(quota.pods),
  };
}

function format(d: Dim | "pods", v: number): string {
  return d === "pods" ? String(v) : d.endsWith("cpu") ? formatCpu(v) : formatMemory(v);
}

/** What the quota check needs of each service. */
export type SizedService = Pick<ServiceSettings, "resources" | "replicas" | "autoscaling" | "migrations">;

/**
 * Whether the environment's pods fit its ResourceQuota: every service at its replicas plus the
 * database, plus room for the largest single extra pod a deploy needs (a migrations Job; a surge
 * pod when the rollout may not take a pod down first). Names the keys a user can change and the
 * numbers on both sides.
 */
export function checkQuotaFit(r: Reader, services: SizedService[], database: ResourceRequirements, quota: QuotaProfile, maxUnavailable: number): void {
  const keys = ["replicas", "resources", "previewServices"].filter((k) => r.has(k));
  // Sizes are only meaningful once the keys that set them are valid.
  if (keys.length === 0 || [...keys, "environmentKind"].some((k) => r.failed.has(k))) return;
  const steady: Record<Dim | "pods", number> = { ...sizeOf(database), pods: 1 };
  const extras: Record<Dim, number>[] = [];
  for (const s of services) {
    const replicas = s.replicas ?? s.autoscaling?.maxReplicas ?? 1;
    const pod = sizeOf(s.resources);
    for (const d of Object.keys(pod) as Dim[]) steady[d] += replicas * pod[d];
    steady.pods += replicas;
    if (s.migrations) extras.push(sizeOf(JOB_RESOURCES));
    if (maxUnavailable === 0) extras.push(pod);
  }
  const limits = quotaOf(quota);
  for (const d of DIMENSIONS) {
    const extra = d === "pods" ? (extras.length > 0 ? 1 : 0) : Math.max(0, ...extras.map((e) => e[d]));
    const need = steady[d] + extra;
    if (need > (parseQuantity(limits[d]) ?? Infinity) + 1e-9) {
      r.problem(
        `${keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}: ${services.length} service(s) at these replicas and resources, the database` +
          `${extra > 0 ? " and one pod of headroom for a deploy" : ""} need ${d} ${format(d, need)}, more than the environment's quota of ${limits[d]}`,
      );
    }
  }
}
