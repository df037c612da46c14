/**
 * hpa-owns-replicas: a workload scaled by an HPA must not set spec.replicas, or every deploy
 * resets the HPA's choice.
 */
import { describe, isKind, namespaceOf, objectName, programSetsReplicas } from "../analysis/objects";
import { at, isUnknown } from "../analysis/values";
import { PackRule, resourcesOf } from "./kit";
import { hpaTargets } from "./pdb-allows-disruption";

export const hpaOwnsReplicas: PackRule = {
  name: "hpa-owns-replicas",
  description: "Deployments and StatefulSets targeted by a HorizontalPodAutoscaler leave spec.replicas unset.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps: "Drop `spec.replicas` from the workload; set the floor with the HPA's minReplicas.",
  configSchema: { properties: {} },
  validateStack: (args, reportViolation) => {
    const resources = resourcesOf(args);
    const hpas = hpaTargets(resources);
    for (const w of resources) {
      const kind = isKind(w.type, "Deployment") ? "Deployment" : isKind(w.type, "StatefulSet") ? "StatefulSet" : undefined;
      if (!kind) continue;
      const ns = namespaceOf(w);
      const name = objectName(w);
      if (typeof ns !== "string" || isUnknown(name)) continue;
      const hpa = hpas.get(`${ns}/${kind}/${name}`);
      const replicas = at(w.props, "spec", "replicas");
      if (hpa && programSetsReplicas(w) !== false)
        reportViolation(`${describe(w)} sets spec.replicas ${isUnknown(replicas) ? "<unknown>" : String(replicas)} but ${describe(hpa)} scales it`, w.urn);
    }
  },
};
