/**
 * data-refresh-anonymised: a job that copies production data into another environment
 * (component `data-refresh`) anonymises it, and runs only where refreshes are allowed.
 */
import { LABEL } from "../conventions";
import { stringList } from "../analysis/context";
import { containersOf, describe, isKind, label, namespaceOf, podTemplateOf } from "../analysis/objects";
import { isUnknown, list, str } from "../analysis/values";
import { KINDS_SCHEMA, PackRule, configOf, kindResolver, resourcesOf } from "./kit";

const FLAGS = ["--anonymize-pii", "--anonymise-pii"];
const ENVS = ["ANONYMIZE_PII", "ANONYMISE_PII"];

export const dataRefreshAnonymised: PackRule = {
  name: "data-refresh-anonymised",
  description: "Data-refresh jobs anonymise personal data and run only in the environments allowed to receive it.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Pass `--anonymize-pii` to the refresh tool (DataRefresh component does) and run it only in staging.",
  configSchema: {
    properties: {
      allowedKinds: { ...KINDS_SCHEMA, default: ["staging"] },
      anonymiseFlags: { type: "array", items: { type: "string" }, default: FLAGS },
      anonymiseEnv: { type: "array", items: { type: "string" }, default: ENVS },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const allowed = stringList(cfg, "allowedKinds", ["staging"]);
    const flags = stringList(cfg, "anonymiseFlags", FLAGS);
    const envs = stringList(cfg, "anonymiseEnv", ENVS);
    const resources = resourcesOf(args);
    const kindOfNs = kindResolver(resources);
    let seen = 0;
    for (const r of resources) {
      if (!isKind(r.type, "CronJob") && !isKind(r.type, "Job")) continue;
      const t = podTemplateOf(r);
      if (!t || label(t.labels, LABEL.component) !== "data-refresh") continue;
      seen++;
      const ns = namespaceOf(r);
      if (typeof ns === "string" && !allowed.includes(kindOfNs(ns)))
        reportViolation(`${describe(r)} refreshes data into ${ns} (${kindOfNs(ns)}); allowed only in ${allowed.join(", ")}`, r.urn);
      const cs = containersOf(t.spec);
      if (isUnknown(cs)) continue;
      const anonymised = cs.some((c) => {
        const argv = [...asStrings(list(c.value, "command")), ...asStrings(list(c.value, "args"))];
        if (argv.some((a) => flags.some((f) => a === f || a.startsWith(`${f}=`) && !/=(false|0|no)$/i.test(a)))) return true;
        const env = list(c.value, "env");
        return !isUnknown(env) && env.some((e) => envs.includes(String(str(e, "name"))) && /^(true|1|yes)$/i.test(String(str(e, "value"))));
      });
      if (!anonymised)
        reportViolation(`${describe(r)} copies data without anonymising it (no ${flags.join("/")} argument or ${envs.join("/")}=true)`, r.urn);
    }
    if (seen === 0) args.notApplicable("no data-refresh job in view");
  },
};

function asStrings(v: unknown[] | symbol): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
