/** feature-namespace-guardrails: every feature namespace has a ResourceQuota and a LimitRange. */
import { stringList } from "../analysis/context";
import { isKind, namespaceOf, namespacesInView } from "../analysis/objects";
import { KINDS_SCHEMA, PackRule, resourcesOf, configOf } from "./kit";

export const featureNamespaceGuardrails: PackRule = {
  name: "feature-namespace-guardrails",
  description: "Every feature namespace carries a ResourceQuota and a LimitRange.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Create the namespace through the Environment component, which adds quota and LimitRange.",
  configSchema: { properties: { kinds: { ...KINDS_SCHEMA, default: ["feature"] } } },
  validateStack: (args, reportViolation) => {
    const kinds = stringList(configOf(args), "kinds", ["feature"]);
    const resources = resourcesOf(args);
    const targets = [...namespacesInView(resources).values()].filter((n) => kinds.includes(n.kind));
    if (targets.length === 0) args.notApplicable("no feature namespace in view");
    const present = new Set<string>();
    for (const r of resources) {
      if (!isKind(r.type, "ResourceQuota") && !isKind(r.type, "LimitRange")) continue;
      const ns = namespaceOf(r);
      if (typeof ns === "string") present.add(`${ns}/${r.type.slice(r.type.lastIndexOf(":") + 1)}`);
    }
    const has = (kind: string, ns: string) => present.has(`${ns}/${kind}`);
    for (const n of targets) {
      for (const kind of ["ResourceQuota", "LimitRange"])
        if (!has(kind, n.name)) reportViolation(`namespace ${n.name} has no ${kind}`, n.resource?.urn);
    }
  },
};
