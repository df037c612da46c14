/** workload-resources: every container sets CPU and memory requests and limits. */
import { stringList } from "../analysis/context";
import { containersOf, describe } from "../analysis/objects";
import { at, isUnknown } from "../analysis/values";
import { KINDS_SCHEMA, PackRule, configOf, resourcesOf, templatesToCheck } from "./kit";

const DEFAULT_REQUIRED = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

export const workloadResources: PackRule = {
  name: "workload-resources",
  description: "Every container (init containers included) sets CPU and memory requests and limits.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps: "Set `resources.requests` and `resources.limits` for cpu and memory on every container.",
  configSchema: {
    properties: {
      required: { type: "array", items: { type: "string" }, default: DEFAULT_REQUIRED, description: "Paths under `resources`." },
      exemptKinds: { ...KINDS_SCHEMA, default: [] },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const required = stringList(cfg, "required", DEFAULT_REQUIRED);
    for (const t of templatesToCheck(resourcesOf(args), stringList(cfg, "exemptKinds", []))) {
      const cs = containersOf(t.spec);
      if (isUnknown(cs)) continue;
      for (const c of cs) {
        const missing = required.filter((p) => {
          const v = at(c.value, "resources", ...p.split("."));
          return v === undefined || v === null || v === "";
        });
        if (missing.length)
          reportViolation(`${describe(t.owner)}: container ${c.name} has no resources.${missing.join(", resources.")}`, t.owner.urn);
      }
    }
  },
};
