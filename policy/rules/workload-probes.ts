/** workload-probes: long-running containers declare readiness and liveness probes. */
import { stringList } from "../analysis/context";
import { containersOf, describe } from "../analysis/objects";
import { at, isUnknown } from "../analysis/values";
import { KINDS_SCHEMA, PackRule, configOf, resourcesOf, templatesToCheck } from "./kit";

const LONG_RUNNING = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"];

export const workloadProbes: PackRule = {
  name: "workload-probes",
  description: "Containers of Deployments, StatefulSets and DaemonSets declare readiness and liveness probes.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps: "Add `readinessProbe` and `livenessProbe` (HTTP /healthz or a TCP check on the serving port).",
  configSchema: {
    properties: {
      probes: { type: "array", items: { type: "string", enum: ["readinessProbe", "livenessProbe", "startupProbe"] }, default: ["readinessProbe", "livenessProbe"] },
      exemptKinds: { ...KINDS_SCHEMA, default: [] },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const probes = stringList(cfg, "probes", ["readinessProbe", "livenessProbe"]);
    for (const t of templatesToCheck(resourcesOf(args), stringList(cfg, "exemptKinds", []), LONG_RUNNING)) {
      const cs = containersOf(t.spec);
      if (isUnknown(cs)) continue;
      for (const c of cs) {
        if (c.list !== "containers") continue;
        const missing = probes.filter((p) => at(c.value, p) === undefined || at(c.value, p) === null);
        if (missing.length)
          reportViolation(`${describe(t.owner)}: container ${c.name} has no ${missing.join(" or ")} (${t.specPath}.containers[${c.name}])`, t.owner.urn);
      }
    }
  },
};
