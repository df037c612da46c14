/**
 * rbac-visibility: says where the RBAC verdict rests on what it cannot see (aggregated roles whose
 * sources are elsewhere, subjects unknown at preview), so a clean verdict is read for what it is.
 */
import { optString, stackView } from "../analysis/context";
import { evaluateRbac, readRbac } from "../analysis/rbac";
import { PackRule, configOf, resourcesOf } from "./kit";
import { RBAC_SCHEMA, rbacOptions } from "./no-developer-write-in-locked-namespaces";

export const rbacVisibility: PackRule = {
  name: "rbac-visibility",
  description: "The RBAC verdict sees every role it depends on.",
  enforcementLevel: "advisory",
  severity: "low",
  remediationSteps: "Pass the export of the stack that defines the missing roles (`clusterStackExport`, policy:check --cluster).",
  configSchema: RBAC_SCHEMA,
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const view = stackView(resourcesOf(args), [optString(cfg, "clusterStackExport")]);
    const model = readRbac(view.all);
    if (model.roles.length === 0 && model.bindings.length === 0) args.notApplicable("no RBAC objects in view");
    const own = new Set(view.own.map((r) => r.urn));
    for (const w of evaluateRbac(model, rbacOptions(cfg, view.all)).warnings) {
      reportViolation(w.message, w.urn && own.has(w.urn) ? w.urn : undefined);
    }
  },
};
