/** run-as-non-root: no container can run as root or privileged. */
import { stringList } from "../analysis/context";
import { containersOf, describe } from "../analysis/objects";
import { at, isUnknown } from "../analysis/values";
import { KINDS_SCHEMA, PackRule, configOf, resourcesOf, templatesToCheck } from "./kit";

export const runAsNonRoot: PackRule = {
  name: "run-as-non-root",
  description: "Containers run as a non-root user (runAsNonRoot, no runAsUser 0) and are not privileged.",
  enforcementLevel: "advisory",
  severity: "high",
  remediationSteps: "Set `securityContext.runAsNonRoot: true` on the pod (and a non-zero runAsUser); never `privileged: true`.",
  configSchema: { properties: { exemptKinds: { ...KINDS_SCHEMA, default: [] } } },
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    for (const t of templatesToCheck(resourcesOf(args), stringList(cfg, "exemptKinds", []))) {
      const cs = containersOf(t.spec);
      if (isUnknown(cs)) continue;
      const podNonRoot = at(t.spec, "securityContext", "runAsNonRoot");
      const podUser = at(t.spec, "securityContext", "runAsUser");
      for (const c of cs) {
        const nonRoot = at(c.value, "securityContext", "runAsNonRoot") ?? podNonRoot;
        const user = at(c.value, "securityContext", "runAsUser") ?? podUser;
        const privileged = at(c.value, "securityContext", "privileged");
        // Unknown at preview: the update re-checks with real values.
        if (isUnknown(nonRoot) || isUnknown(user)) continue;
        const where = `${describe(t.owner)}: container ${c.name}`;
        if (user === 0) reportViolation(`${where} sets runAsUser 0 (root)`, t.owner.urn);
        else if (nonRoot !== true && !(typeof user === "number" && user > 0))
          reportViolation(`${where} may run as root: neither runAsNonRoot: true nor a non-zero runAsUser`, t.owner.urn);
        if (privileged === true) reportViolation(`${where} is privileged`, t.owner.urn);
      }
    }
  },
};
