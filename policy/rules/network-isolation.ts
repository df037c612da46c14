/**
 * network-isolation: every environment namespace is default-deny, DNS still resolves, and no
 * feature or QA pod can reach a staging or production database pod.
 */
import { EXPORT_PATH_SCHEMA, optString, stackView, stringList } from "../analysis/context";
import { NET_DEFAULTS, NetOptions, evaluateNetwork, readNetwork } from "../analysis/netpol";
import { KINDS_SCHEMA, PackRule, configOf, resourcesOf } from "./kit";

/** Network options from a rule config (shared with the report). */
export function netOptions(cfg: Record<string, unknown>): NetOptions {
  return {
    podCidr: optString(cfg, "podCidr") ?? NET_DEFAULTS.podCidr,
    dnsNamespace: optString(cfg, "dnsNamespace") ?? NET_DEFAULTS.dnsNamespace,
    defaultDenyKinds: stringList(cfg, "defaultDenyKinds", NET_DEFAULTS.defaultDenyKinds),
    untrustedKinds: stringList(cfg, "untrustedKinds", NET_DEFAULTS.untrustedKinds),
    protectedKinds: stringList(cfg, "protectedKinds", NET_DEFAULTS.protectedKinds),
    lockedNamespaces: stringList(cfg, "lockedNamespaces", NET_DEFAULTS.lockedNamespaces),
    appName: optString(cfg, "appName") ?? NET_DEFAULTS.appName,
  };
}

export const networkIsolation: PackRule = {
  name: "network-isolation",
  description: "Environment namespaces are default-deny, keep DNS, and untrusted pods cannot reach staging or production databases.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Keep the default-deny NetworkPolicy (empty podSelector, policyTypes Ingress and Egress) in every environment " +
    "namespace, allow UDP+TCP 53 to kube-dns, and admit database ingress only from pods of the same namespace.",
  configSchema: {
    properties: {
      podCidr: { type: "string", default: NET_DEFAULTS.podCidr },
      dnsNamespace: { type: "string", default: NET_DEFAULTS.dnsNamespace },
      defaultDenyKinds: { ...KINDS_SCHEMA, default: NET_DEFAULTS.defaultDenyKinds },
      untrustedKinds: { ...KINDS_SCHEMA, default: NET_DEFAULTS.untrustedKinds },
      protectedKinds: { ...KINDS_SCHEMA, default: NET_DEFAULTS.protectedKinds },
      lockedNamespaces: { type: "array", items: { type: "string" }, default: NET_DEFAULTS.lockedNamespaces },
      appName: { type: "string", default: NET_DEFAULTS.appName },
      clusterStackExport: { ...EXPORT_PATH_SCHEMA, description: "`pulumi stack export` of the stack owning the guardrails." },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = configOf(args);
    const opts = netOptions(cfg);
    const view = stackView(resourcesOf(args), [optString(cfg, "clusterStackExport")]);
    const model = readNetwork(view.all, opts);
    if (model.visible.size === 0) args.notApplicable("no environment namespace or NetworkPolicy in view");
    const own = new Set(view.own.map((r) => r.urn));
    for (const f of evaluateNetwork(model, opts)) {
      reportViolation(`[${f.check}] ${f.message}`, f.urn && own.has(f.urn) ? f.urn : undefined);
    }
  },
};
