/**
 * report — Markdown for a PR comment: who can do what where (access matrix), and which namespace
 * reaches which (reachability matrix for app and database ports), from the pack's evaluators.
 *
 *   npm run --silent report -- --stack <export.json> [--reference …] [--cluster …] [--config …]
 */
import { stackView } from "../analysis/context";
import { NetOptions, Network, readNetwork, PodInfo } from "../analysis/netpol";
import { fenceAdmits } from "../analysis/fences";
import { namespaceKind } from "../analysis/objects";
import { accessSummary, evaluateRbac, readRbac, subjectUser, subjectsOf } from "../analysis/rbac";
import { policies } from "../policies";
import { netOptions } from "../rules/network-isolation";
import { rbacOptions } from "../rules/no-developer-write-in-locked-namespaces";
import { ruleSettings } from "../runner";
import { loadInputs, parseArgs, runCli } from "./args";

const USAGE = "usage: report --stack <export.json> [--reference <peer-export.json>] [--cluster <export.json>] [--config <policy-config.json>]";
const WRITE = ["create", "update", "patch", "delete", "deletecollection"];
const SPECIAL = ["bind", "escalate", "impersonate"];

function settingsOf(name: string, config: Record<string, unknown>): Record<string, unknown> {
  const rule = policies.find((p) => p.name === name);
  return rule ? ruleSettings(rule, config).props : {};
}

function verbsCell(verbs: Set<string>, unresolved: boolean): string {
  if (verbs.size === 0) return unresolved ? "? (role not in view)" : "—";
  if (verbs.has("*")) return "**all**";
  const w = WRITE.filter((v) => verbs.has(v));
  const s = SPECIAL.filter((v) => verbs.has(v));
  const r = [...verbs].filter((v) => !WRITE.includes(v) && !SPECIAL.includes(v));
  return [w.length ? `**${w.join(", ")}**` : "", s.length ? `**${s.join(", ")}**` : "", r.join(", ")].filter(Boolean).join("; ") + (unresolved ? " +?" : "");
}

/** A cell of the reachability matrix: some source pod reaches some target port, none does, neither side's policies are in view, or no such pods. */
export type ReachCell = "reachable" | "denied" | "unknown" | "none";
/** The ports a cell covers: the app's web and api ports, or its database ports. */
export type PortClass = "app" | "db";
const COMPONENTS_OF: Record<PortClass, string[]> = { app: ["web", "api"], db: ["database"] };

/** Whether developers or QA create pods in `ns` (its kind is untrusted): the pack judges any pod there, with any labels. */
export function untrustedNamespace(model: ReturnType<typeof readNetwork>, options: NetOptions, ns: string): boolean {
  return (options.untrustedKinds ?? []).includes(namespaceKind(ns, model.namespaces.get(ns)?.labels));
}

/**
 * The reachability matrix the report prints: from each namespace (any pod where untrusted kinds may
 * run anything, else the pods in view) to the app and database ports of each other. The end-to-end
 * network test compares it, cell by cell, with connections real pods open.
 */
export function reachabilityMatrix(model: ReturnType<typeof readNetwork>, options: NetOptions): (from: string, to: string, ports: PortClass) => ReachCell {
  const net = new Network(model, options);
  const sources = (ns: string): PodInfo[] => (untrustedNamespace(model, options, ns) ? [net.adversary(ns)] : model.pods.filter((p) => p.namespace === ns));
  return (from: string, to: string, ports: PortClass): ReachCell => {
    const targets = model.pods.filter((p) => p.namespace === to && COMPONENTS_OF[ports].includes(p.component ?? ""));
    if (targets.length === 0) return "none";
    let unknown = true;
    for (const s of sources(from))
      for (const t of targets)
        for (const p of t.ports) {
          const r = net.reach(s, t, p.port, p.protocol);
          if (r === undefined) continue;
          unknown = false;
          if (r.allowed) return "reachable";
        }
    return unknown ? "unknown" : "denied";
  };
}

/** Builds the Markdown report. */
export function buildReport(stackName: string, resources: Parameters<typeof readRbac>[0], config: Record<string, unknown>): string {
  const rbacCfg = settingsOf("no-developer-write-in-locked-namespaces", config);
  const netCfg = settingsOf("network-isolation", config);
  const view = stackView(resources, [rbacCfg.clusterStackExport as string | undefined]);
  const model = readRbac(view.all);
  const netModel = readNetwork(
    stackView(resources, [netCfg.clusterStackExport as string | undefined]).all,
    netOptions(netCfg),
  );
  const envNs = [...netModel.namespaces.values()]
    .filter((n) => ["feature", "qa", "staging", "production", "monitoring"].includes(n.kind))
    .map((n) => n.name)
    .sort();
  const lines: string[] = [`## Policy report: \`${stackName}\``, ""];
  lines.push("### Access matrix (subject × namespace → verbs; bold = write or escalation)", "");
  const options = rbacOptions(rbacCfg, view.all);
  const fences = options.fences ?? [];
  const subjects = [...subjectsOf(model).entries()].sort(([a], [b]) => a.localeCompare(b));
  if (subjects.length === 0) lines.push("_No RoleBinding or ClusterRoleBinding in view (pass `--cluster`)._");
  else {
    lines.push(`| subject | ${envNs.join(" | ")} |`, `|---|${envNs.map(() => "---").join("|")}|`);
    for (const [key, s] of subjects) {
      const cells = envNs.map((ns) => {
        const a = accessSummary(model, s, ns);
        // Admission fences deny a fenced identity's writes (not its reads) outside their namespaces.
        const user = subjectUser(s);
        if (user !== undefined && fences.some((f) => f.user === user) && !fenceAdmits(fences, user, ns)) {
          // Impersonation is not an admission request: a fence never removes it.
          const reads = new Set([...a.verbs].filter((v) => !WRITE.includes(v) && (v === "impersonate" || !SPECIAL.includes(v)) && v !== "*"));
          return `${verbsCell(reads, a.unresolved)} (writes fenced)`;
        }
        return verbsCell(a.verbs, a.unresolved);
      });
      lines.push(`| \`${key}\` | ${cells.join(" | ")} |`);
    }
  }
  const verdict = evaluateRbac(model, options);
  for (const f of fences) lines.push("", `Admission fence honoured: \`${f.user}\` changes nothing outside namespaces matching \`${f.pattern.source}\`.`);
  lines.push("", `Developer paths into locked namespaces: **${verdict.findings.length}**`);
  for (const f of verdict.findings) lines.push(`- \`${f.subject}\` → ${f.namespace}: ${f.capability} (via ${f.via})`);
  for (const w of verdict.warnings) lines.push(`- ⚠ ${w.message}`);

  lines.push("", "### Reachability (row → column; app = web/api ports, db = database ports)", "");
  const cell = reachabilityMatrix(netModel, netOptions(netCfg));
  const mark = { reachable: "✅", denied: "✖", unknown: "?", none: "·" } as const;
  lines.push(`| from \\ to | ${envNs.join(" | ")} |`, `|---|${envNs.map(() => "---").join("|")}|`);
  for (const from of envNs) {
    lines.push(`| **${from}** | ${envNs.map((to) => `app ${mark[cell(from, to, "app")]} db ${mark[cell(from, to, "db")]}`).join(" | ")} |`);
  }
  lines.push("", "✅ reachable · ✖ denied by policy · ? neither side's policies in view · `·` no such pods");
  return lines.join("\n") + "\n";
}

/** Entry point; returns the exit code. */
export async function main(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const args = parseArgs(argv, USAGE);
  const { stack, config } = loadInputs(args);
  out(buildReport(stack.stack, stack.resources, config));
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
