/**
 * staging-production-parity: staging and production must be the same system. Compares the two
 * environment namespaces (from this stack and the peer stack's export) and enforces promotion:
 * production only runs image tags that staging runs.
 */
import { PARITY_OBJECT_DELTAS } from "../conventions";
import { EXPORT_PATH_SCHEMA, bool, optString, stackView, stringList } from "../analysis/context";
import { describe, namespaceOf } from "../analysis/objects";
import { diffEnvironments, parityView, promotionViolations } from "../analysis/parity";
import { PackRule, configOf, resourcesOf } from "./kit";

/** Deltas accepted when no config says otherwise: none but the image tag (promotion covers it). */
/** What may differ unless the config says otherwise: the conventions' parity deltas. */
export const DEFAULT_ALLOWED_DELTAS: string[] = [...PARITY_OBJECT_DELTAS];

export const stagingProductionParity: PackRule = {
  name: "staging-production-parity",
  description: "Staging and production run the same services, shapes and guardrails; production only runs tags staging runs.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Make the differing attribute equal in both environments (same component code, different settings only where " +
    "`allowedDeltas` lists them), or add a reviewed glob to `PARITY_OBJECT_DELTAS` in policy/conventions.ts. " +
    "For a promotion failure, deploy the tag to staging first.",
  configSchema: {
    properties: {
      referenceStackExport: { ...EXPORT_PATH_SCHEMA, description: "`pulumi stack export` of the peer stack (staging for production, and back)." },
      clusterStackExport: EXPORT_PATH_SCHEMA,
      stagingNamespace: { type: "string", default: "staging" },
      productionNamespace: { type: "string", default: "production" },
      allowedDeltas: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_ALLOWED_DELTAS,
        description: "Globs over `Kind/name:path` that may differ, e.g. `Deployment/*:replicas`. Replaces the default list (policy/conventions.ts: PARITY_OBJECT_DELTAS).",
      },
      requireReference: {
        type: "boolean",
        default: true,
        description: "Fail when only one environment is in view (no peer export given).",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const stagingNs = optString(cfg, "stagingNamespace") ?? "staging";
    const productionNs = optString(cfg, "productionNamespace") ?? "production";
    const allowed = stringList(cfg, "allowedDeltas", DEFAULT_ALLOWED_DELTAS);
    const own = resourcesOf(args);
    const mine = (ns: string) => own.some((r) => namespaceOf(r) === ns && !r.type.endsWith(":Namespace"));
    const hasStaging = mine(stagingNs);
    const hasProduction = mine(productionNs);
    if (!hasStaging && !hasProduction) {
      args.notApplicable(`no objects in ${stagingNs} or ${productionNs}`);
    }
    const ref = optString(cfg, "referenceStackExport");
    const view = stackView(own, [ref, optString(cfg, "clusterStackExport")]);
    const staging = parityView(view.all, stagingNs);
    const production = parityView(view.all, productionNs);
    // One side's app can be out of view while its guardrails (from the cluster export) are in
    // view: then there is nothing to compare the app with, as when the side is absent entirely.
    const runsWorkloads = (m: Map<string, unknown>) => [...m.keys()].some((k) => /^(Deployment|StatefulSet)\//.test(k));
    const appMissing = runsWorkloads(staging) !== runsWorkloads(production);
    if (staging.size === 0 || production.size === 0 || appMissing) {
      const missing = staging.size === 0 || (appMissing && !runsWorkloads(staging)) ? stagingNs : productionNs;
      if (bool(cfg, "requireReference", true)) {
        reportViolation(
          `cannot compare: no objects of ${missing} in view. Pass its stack export as referenceStackExport ` +
            `(policy:check --reference <export.json>).`,
        );
      }
      return;
    }
    const ownUrns = new Set(own.map((r) => r.urn));
    for (const d of diffEnvironments(staging, production, allowed)) {
      const s = staging.get(d.object);
      const p = production.get(d.object);
      const urn = [s?.urn, p?.urn].find((u) => u !== undefined && ownUrns.has(u));
      const where = d.path ? `${d.object} ${d.path}` : d.object;
      reportViolation(`${where}: ${stagingNs} ${d.staging} ≠ ${productionNs} ${d.production}`, urn);
    }
    // Promotion is judged when production's workloads are the ones being deployed.
    if (hasProduction) {
      for (const v of promotionViolations(view.all, own, stagingNs, productionNs)) {
        const r = own.find((x) => x.urn === v.urn);
        reportViolation(`${r ? describe(r) + ": " : ""}${v.message}`, v.urn);
      }
    }
  },
};
