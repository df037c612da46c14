/**
 * staging-production-parity: staging and production must be the same system. Compares the two
 * environment namespaces (from this stack and the peer stack: its export file, or its state read
 * through the backend) and enforces promotion: production only runs image tags that staging runs.
 */
import { PARITY_OBJECT_DELTAS } from "../conventions";
import { readBackendStack } from "../analysis/backend";
import { EXPORT_PATH_SCHEMA, StackView, bool, optString, stackView, stringList } from "../analysis/context";
import { describe, namespaceOf, ResourceLike } from "../analysis/objects";
import { diffEnvironments, parityView, promotionViolations } from "../analysis/parity";
import { PackRule, configOf, resourcesOf } from "./kit";

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
      peerFromBackend: {
        type: "boolean",
        default: true,
        description:
          "Without referenceStackExport, read the peer stack (named after its namespace) through the backend the CLI uses (`pulumi stack export`, secrets left encrypted). policy:check, which reads only files, turns it off.",
      },
      firstDeploy: {
        type: "boolean",
        default: false,
        description:
          "A new installation's first deploy: pass while the peer stack has no state in the backend (it does not exist, or has no resources). No effect once the peer has state, and none when the backend cannot be read.",
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
    const view = viewWithPeer(own, cfg, stagingNs, productionNs, reportViolation);
    if (view === undefined) return;
    const staging = parityView(view.all, stagingNs);
    const production = parityView(view.all, productionNs);
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

/**
 * This stack and its peer: the peer's export file when given, else its state read through the
 * backend. Undefined when there is nothing to compare: the problem is reported, or a first deploy
 * passes (and says so).
 */
function viewWithPeer(
  own: ResourceLike[],
  cfg: Record<string, unknown>,
  stagingNs: string,
  productionNs: string,
  reportViolation: (message: string) => void,
): StackView | undefined {
  const ref = optString(cfg, "referenceStackExport");
  const clusterExport = optString(cfg, "clusterStackExport");
  const view = stackView(own, [ref, clusterExport]);
  const missing = missingSide(view.all, stagingNs, productionNs);
  if (missing === undefined) return view;
  if (ref !== undefined || !bool(cfg, "peerFromBackend", true)) {
    reportViolation(`cannot compare: no objects of ${missing} in view. Pass its stack export as referenceStackExport (policy:check --reference <export.json>).`);
    return undefined;
  }
  const peer = readBackendStack(missing);
  if (peer.state === "found") {
    const withPeer = stackView(own, [peer.stack, clusterExport]);
    note(`compared ${withPeer.stack} with stack ${peer.stack.stack} (${peer.stack.resources.length} resources, read from the backend)`);
    if (missingSide(withPeer.all, stagingNs, productionNs) === undefined) return withPeer;
    reportViolation(`cannot compare: stack ${peer.stack.stack} has no objects of ${missing}.`);
  } else if (peer.state === "empty" && bool(cfg, "firstDeploy", false)) {
    note(`first deploy: ${peer.why}, nothing to compare with yet (firstDeploy has no effect once it has state)`);
  } else {
    const advice =
      peer.state === "empty"
        ? `on a new installation's first deploy set "firstDeploy": true for this rule (no effect once ${missing} has state)`
        : "pass its stack export as referenceStackExport";
    reportViolation(`cannot compare: no objects of ${missing} in view (${peer.why}); ${advice}.`);
  }
  return undefined;
}

/**
 * The side with nothing to compare: no objects at all, or guardrails (from the cluster export)
 * but no app while the other side runs workloads.
 */
function missingSide(all: ResourceLike[], stagingNs: string, productionNs: string): string | undefined {
  const staging = parityView(all, stagingNs);
  const production = parityView(all, productionNs);
  const runsWorkloads = (m: Map<string, unknown>) => [...m.keys()].some((k) => /^(Deployment|StatefulSet)\//.test(k));
  if (staging.size === 0 || (runsWorkloads(production) && !runsWorkloads(staging))) return stagingNs;
  if (production.size === 0 || (runsWorkloads(staging) && !runsWorkloads(production))) return productionNs;
  return undefined;
}

/** One line in the engine's output: which stack the comparison used (the policy SDK has no other channel). */
function note(text: string): void {
  console.log(`staging-production-parity: ${text}`);
}
