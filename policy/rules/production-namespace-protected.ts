/** production-namespace-protected: the production Namespace cannot be deleted by Pulumi. */
import { stringList } from "../analysis/context";
import { namespacesInView } from "../analysis/objects";
import { KINDS_SCHEMA, PackRule, configOf, resourcesOf } from "./kit";

export const productionNamespaceProtected: PackRule = {
  name: "production-namespace-protected",
  description: "The production Namespace has `protect: true` (deleting it deletes everything in it).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Create the production Namespace with `{ protect: true }` (guardrails `protect` setting).",
  configSchema: { properties: { kinds: { ...KINDS_SCHEMA, default: ["production"] } } },
  validateStack: (args, reportViolation) => {
    const kinds = stringList(configOf(args), "kinds", ["production"]);
    const targets = [...namespacesInView(resourcesOf(args)).values()].filter((n) => kinds.includes(n.kind));
    if (targets.length === 0) args.notApplicable("no production namespace in view");
    for (const n of targets)
      if (n.resource?.opts?.protect !== true) reportViolation(`namespace ${n.name} is not protected`, n.resource?.urn);
  },
};
