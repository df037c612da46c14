/**
 * Shared shape of the pack's rules. Every rule is a whole-stack rule (`validateStack`) so that it
 * can relate objects to each other; every one carries id, description, severity, remediation
 * text, default enforcement level and a config schema.
 */
import type { PolicyConfigSchema, StackValidationArgs, StackValidationPolicy, Severity, EnforcementLevel } from "@pulumi/policy";
import { EnvKind, PodTemplate, ResourceLike, namespaceKind, namespaceOf, namespacesInView, podTemplateOf } from "../analysis/objects";

/** A rule of this pack. */
export interface PackRule extends StackValidationPolicy {
  severity: Severity;
  remediationSteps: string;
  enforcementLevel: EnforcementLevel;
  configSchema: PolicyConfigSchema;
}

/** The engine's resources, seen through the evaluators' structural type. */
export function resourcesOf(args: StackValidationArgs): ResourceLike[] {
  return args.resources as unknown as ResourceLike[];
}

/** The rule's config as a plain record. */
export function configOf(args: StackValidationArgs): Record<string, unknown> {
  return args.getConfig<Record<string, unknown>>();
}

/** Schema fragment: list of namespace kinds. */
export const KINDS_SCHEMA = {
  type: "array" as const,
  items: { type: "string" as const, enum: ["feature", "qa", "staging", "production", "monitoring", "other"] },
};

/** Kind of each namespace, from Namespace objects in view, else from its name. */
export function kindResolver(resources: readonly ResourceLike[]): (ns: string) => EnvKind {
  const known = namespacesInView(resources);
  return (ns) => known.get(ns)?.kind ?? namespaceKind(ns);
}

/**
 * Pod templates of the workloads in `resources` whose namespace kind is not exempt. Workloads
 * whose namespace is unknown at preview are included (their kind cannot exempt them).
 */
export function templatesToCheck(resources: readonly ResourceLike[], exemptKinds: string[], kinds?: string[]): PodTemplate[] {
  const kindOfNs = kindResolver(resources);
  const out: PodTemplate[] = [];
  for (const r of resources) {
    const t = podTemplateOf(r);
    if (!t || (kinds && !kinds.includes(t.kind))) continue;
    const ns = namespaceOf(r);
    if (typeof ns === "string" && exemptKinds.includes(kindOfNs(ns))) continue;
    out.push(t);
  }
  return out;
}
