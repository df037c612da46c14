/**
 * pdb-allows-disruption: a PodDisruptionBudget must leave room to evict a pod, or node drains
 * stall. replicas ≥ minAvailable + 1, and for HPA-managed workloads minReplicas ≥ minAvailable + 1.
 */
import { ResourceLike, describe, isKind, namespaceOf, objectName, podTemplateOf, programSetsReplicas } from "../analysis/objects";
import { matches, readSelector } from "../analysis/selectors";
import { at, isUnknown, num, str } from "../analysis/values";
import { PackRule, resourcesOf } from "./kit";

function scaled(v: number | string, replicas: number, roundUp: boolean): number | undefined {
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return undefined;
  const x = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** HPAs by `namespace/Kind/name` of their target. */
export function hpaTargets(resources: readonly ResourceLike[]): Map<string, ResourceLike> {
  const out = new Map<string, ResourceLike>();
  for (const r of resources) {
    if (!isKind(r.type, "HorizontalPodAutoscaler")) continue;
    const ns = namespaceOf(r);
    const kind = str(r.props, "spec", "scaleTargetRef", "kind");
    const name = str(r.props, "spec", "scaleTargetRef", "name");
    if (typeof ns === "string" && typeof kind === "string" && typeof name === "string") out.set(`${ns}/${kind}/${name}`, r);
  }
  return out;
}

export const pdbAllowsDisruption: PackRule = {
  name: "pdb-allows-disruption",
  description: "Every PodDisruptionBudget leaves one pod evictable: replicas (or HPA minReplicas) ≥ minAvailable + 1.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps: "Raise replicas / HPA minReplicas above minAvailable, or lower minAvailable (maxUnavailable ≥ 1).",
  configSchema: { properties: {} },
  validateStack: (args, reportViolation) => {
    const resources = resourcesOf(args);
    const hpas = hpaTargets(resources);
    // Workloads by namespace, read once: PDBs are matched within their namespace only.
    const workloads = new Map<string, { w: ResourceLike; t: NonNullable<ReturnType<typeof podTemplateOf>> }[]>();
    for (const w of resources) {
      if (!isKind(w.type, "Deployment") && !isKind(w.type, "StatefulSet")) continue;
      const t = podTemplateOf(w);
      if (!t || typeof t.namespace !== "string") continue;
      const l = workloads.get(t.namespace) ?? [];
      l.push({ w, t });
      workloads.set(t.namespace, l);
    }
    for (const pdb of resources) {
      if (!isKind(pdb.type, "PodDisruptionBudget")) continue;
      const ns = namespaceOf(pdb);
      const sel = readSelector(pdb.props, "spec", "selector");
      const minAvailable = at(pdb.props, "spec", "minAvailable");
      const maxUnavailable = at(pdb.props, "spec", "maxUnavailable");
      if (isUnknown(ns) || sel.unknown || isUnknown(minAvailable) || isUnknown(maxUnavailable)) continue;
      for (const { w, t } of workloads.get(ns ?? "") ?? []) {
        if (!matches(sel, t.labels, false)) continue;
        const name = objectName(w);
        const hpa = typeof name === "string" ? hpas.get(`${ns}/${t.kind}/${name}`) : undefined;
        const checks: { what: string; n: number }[] = [];
        if (hpa) {
          const min = num(hpa.props, "spec", "minReplicas");
          if (!isUnknown(min)) checks.push({ what: `${describe(hpa)} minReplicas`, n: min ?? 1 });
        }
        // An HPA owns the count; the spec.replicas the server defaulted says nothing then.
        const replicas = num(w.props, "spec", "replicas");
        if (!isUnknown(replicas) && (!hpa || programSetsReplicas(w) === true)) checks.push({ what: "replicas", n: replicas ?? 1 });
        for (const c of checks) {
          if (typeof minAvailable === "number" || typeof minAvailable === "string") {
            const need = scaled(minAvailable, c.n, true);
            if (need !== undefined && c.n < need + 1)
              reportViolation(
                `${describe(pdb)} minAvailable ${minAvailable} leaves no pod of ${describe(w)} evictable: ${c.what} ${c.n} < ${need} + 1`,
                pdb.urn,
              );
          } else if (typeof maxUnavailable === "number" || typeof maxUnavailable === "string") {
            const allow = scaled(maxUnavailable, c.n, true);
            if (allow !== undefined && allow < 1)
              reportViolation(`${describe(pdb)} maxUnavailable ${maxUnavailable} allows no eviction of ${describe(w)} (${c.what} ${c.n})`, pdb.urn);
          }
        }
      }
    }
  },
};
