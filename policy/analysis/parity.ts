/**
 * Staging/production parity: both environments reduced to the attributes that must match
 * (services, containers, ports, image repositories, env and ConfigMap keys, probes, requests
 * and limits, securityContext, PDB and HPA presence and bounds, NetworkPolicy shape, alert names),
 * with the environment's own name abstracted, then diffed attribute by attribute.
 */
import { LABEL } from "../conventions";
import { ResourceLike, containersOf, isKind, kindOf, namespaceOf, objectName, parseImage, podTemplateOf } from "./objects";
import { Plain, isUnknown, keys, list, plain, str } from "./values";

/** One comparable object. */
export interface ParityObject {
  key: string;
  tree: Plain;
  urn: string;
}

/** One difference. */
export interface ParityDiff {
  /** `Deployment/core-api`. */
  object: string;
  /** Attribute path inside the object. */
  path: string;
  staging: string;
  production: string;
}

const ENV = "${env}";

function normalise(v: Plain | undefined, env: string): Plain | undefined {
  if (typeof v === "string") return v.split(env).join(ENV);
  if (Array.isArray(v)) return v.map((e) => normalise(e, env) ?? null);
  if (v !== null && typeof v === "object") {
    const out: { [k: string]: Plain } = {};
    for (const [k, e] of Object.entries(v)) {
      const n = normalise(e, env);
      if (n !== undefined) out[k.split(env).join(ENV)] = n;
    }
    return out;
  }
  return v;
}

function setOf(values: string[]): Plain {
  return { $set: [...new Set(values)].sort() };
}

function containerView(c: unknown): Plain {
  const image = str(c, "image");
  const envList = list(c, "env");
  const envFrom = plain(c, "envFrom") ?? null;
  const ports = list(c, "ports");
  return {
    imageRepository: typeof image === "string" ? parseImage(image).repository : isUnknown(image) ? "<unknown>" : null,
    ports: isUnknown(ports)
      ? "<unknown>"
      : ports.map((p) => ({
          name: (plain(p, "name") ?? null) as Plain,
          containerPort: (plain(p, "containerPort") ?? null) as Plain,
          protocol: (plain(p, "protocol") ?? "TCP") as Plain,
        })),
    envKeys: isUnknown(envList) ? "<unknown>" : setOf(envList.map((e) => String(str(e, "name") ?? ""))),
    envFrom,
    readinessProbe: plain(c, "readinessProbe") ?? null,
    livenessProbe: plain(c, "livenessProbe") ?? null,
    startupProbe: plain(c, "startupProbe") ?? null,
    resources: plain(c, "resources") ?? null,
    securityContext: plain(c, "securityContext") ?? null,
  };
}

/**
 * A migrations Job is named after the image it runs (`<service>-migrate-<hash of the image>`), so
 * staging ahead of production on a new tag has a Job production does not: compare them as the
 * service's migrations Job, whatever the tag (the containers still compare the image repository).
 */
function migrationsJobKey(r: ResourceLike): string | undefined {
  if (!isKind(r.type, "Job") || str(r.props, "metadata", "labels", LABEL.component) !== "migrations") return undefined;
  const service = str(r.props, "metadata", "labels", LABEL.name);
  return typeof service === "string" ? `Job/${service}-migrate-<image>` : undefined;
}

/** The comparable view of one resource, or undefined for kinds parity ignores. */
export function parityObject(r: ResourceLike, env: string): ParityObject | undefined {
  const kind = kindOf(r.type);
  const name = objectName(r);
  const key = migrationsJobKey(r) ?? `${kind}/${isUnknown(name) ? r.name : name.split(env).join(ENV)}`;
  let tree: Plain | undefined;
  const t = podTemplateOf(r);
  if (t) {
    const cs = containersOf(t.spec);
    const containers: { [k: string]: Plain } = {};
    if (!isUnknown(cs)) for (const c of cs) containers[`${c.list}[${c.name}]`] = containerView(c.value);
    tree = {
      replicas: plain(r.props, "spec", "replicas") ?? null,
      schedule: plain(r.props, "spec", "schedule") ?? null,
      serviceAccountName: plain(t.spec, "serviceAccountName") ?? null,
      securityContext: plain(t.spec, "securityContext") ?? null,
      containers,
    };
  } else if (isKind(r.type, "Service")) {
    tree = {
      type: plain(r.props, "spec", "type") ?? "ClusterIP",
      ports: plain(r.props, "spec", "ports") ?? null,
      selector: plain(r.props, "spec", "selector") ?? null,
      externalName: plain(r.props, "spec", "externalName") ?? null,
    };
  } else if (isKind(r.type, "ConfigMap")) {
    const k = keys(r.props, "data");
    const b = keys(r.props, "binaryData");
    tree = { keys: isUnknown(k) || isUnknown(b) ? "<unknown>" : setOf([...k, ...b]) };
  } else if (isKind(r.type, "PodDisruptionBudget")) {
    tree = {
      minAvailable: plain(r.props, "spec", "minAvailable") ?? null,
      maxUnavailable: plain(r.props, "spec", "maxUnavailable") ?? null,
      selector: plain(r.props, "spec", "selector") ?? null,
    };
  } else if (isKind(r.type, "HorizontalPodAutoscaler")) {
    tree = {
      scaleTargetRef: plain(r.props, "spec", "scaleTargetRef") ?? null,
      minReplicas: plain(r.props, "spec", "minReplicas") ?? 1,
      maxReplicas: plain(r.props, "spec", "maxReplicas") ?? null,
      metrics: plain(r.props, "spec", "metrics") ?? null,
    };
  } else if (isKind(r.type, "NetworkPolicy")) {
    tree = { spec: plain(r.props, "spec") ?? null };
  } else if (r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule") {
    const alerts: string[] = [];
    const groups = list(r.props, "spec", "groups");
    if (!isUnknown(groups))
      for (const g of groups) {
        const rules = list(g, "rules");
        if (!isUnknown(rules))
          for (const rule of rules) {
            const a = str(rule, "alert");
            if (typeof a === "string") alerts.push(a);
          }
      }
    tree = { alerts: setOf(alerts) };
  } else {
    return undefined;
  }
  return { key, tree: normalise(tree, env) ?? null, urn: r.urn };
}

/** The comparable objects of one environment namespace. */
export function parityView(resources: readonly ResourceLike[], env: string): Map<string, ParityObject> {
  const out = new Map<string, ParityObject>();
  // An HPA owns its target's replica count (the HPA's bounds are compared instead).
  const scaled = new Set<string>();
  for (const r of resources) {
    if (namespaceOf(r) !== env || !isKind(r.type, "HorizontalPodAutoscaler")) continue;
    const kind = str(r.props, "spec", "scaleTargetRef", "kind");
    const name = str(r.props, "spec", "scaleTargetRef", "name");
    if (typeof kind === "string" && typeof name === "string") scaled.add(`${kind}/${name.split(env).join(ENV)}`);
  }
  for (const r of resources) {
    if (namespaceOf(r) !== env) continue;
    const o = parityObject(r, env);
    if (!o || out.has(o.key)) continue;
    if (scaled.has(o.key) && o.tree && typeof o.tree === "object" && !Array.isArray(o.tree)) {
      (o.tree as { [k: string]: Plain }).replicas = "<owned by HorizontalPodAutoscaler>";
    }
    out.set(o.key, o);
  }
  return out;
}

function show(v: Plain | undefined): string {
  if (v === undefined) return "<absent>";
  if (isUnknown(v)) return "<unknown>";
  return JSON.stringify(v);
}

function isObj(v: Plain | undefined): v is { [k: string]: Plain } {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) && !isUnknown(v);
}

function keyedByName(a: Plain[]): Map<string, Plain> | undefined {
  const m = new Map<string, Plain>();
  for (const e of a) {
    const n = isObj(e) ? e.name : undefined;
    if (typeof n !== "string" || m.has(n)) return undefined;
    m.set(n, e);
  }
  return m;
}

function diffTree(a: Plain | undefined, b: Plain | undefined, path: string, out: { path: string; a: string; b: string }[]): void {
  if (isObj(a) && isObj(b) && Array.isArray(a.$set) && Array.isArray(b.$set)) {
    const sa = new Set(a.$set.map(String));
    const sb = new Set(b.$set.map(String));
    for (const x of sa) if (!sb.has(x)) out.push({ path: `${path}[${x}]`, a: "present", b: "<absent>" });
    for (const x of sb) if (!sa.has(x)) out.push({ path: `${path}[${x}]`, a: "<absent>", b: "present" });
    return;
  }
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffTree(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const ka = keyedByName(a);
    const kb = keyedByName(b);
    if (ka && kb) {
      for (const k of new Set([...ka.keys(), ...kb.keys()])) diffTree(ka.get(k), kb.get(k), `${path}[${k}]`, out);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffTree(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  const na = a === null ? undefined : a;
  const nb = b === null ? undefined : b;
  if (JSON.stringify(na) !== JSON.stringify(nb) || isUnknown(na) !== isUnknown(nb)) out.push({ path, a: show(na), b: show(nb) });
}

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${esc}$`);
}

/**
 * Differences between the staging and production views outside `allowedDeltas` (globs over
 * `Kind/name:path`, e.g. `Deployment/*:replicas`).
 */
export function diffEnvironments(
  staging: Map<string, ParityObject>,
  production: Map<string, ParityObject>,
  allowedDeltas: string[] = [],
): ParityDiff[] {
  const allowed = allowedDeltas.map(globToRegExp);
  const out: ParityDiff[] = [];
  for (const key of [...new Set([...staging.keys(), ...production.keys()])].sort()) {
    const s = staging.get(key);
    const p = production.get(key);
    const diffs: { path: string; a: string; b: string }[] = [];
    if (!s || !p) diffs.push({ path: "", a: s ? "present" : "<absent>", b: p ? "present" : "<absent>" });
    else diffTree(s.tree, p.tree, "", diffs);
    for (const d of diffs) {
      const id = `${key}:${d.path}`;
      if (allowed.some((re) => re.test(id))) continue;
      out.push({ object: key, path: d.path, staging: d.a, production: d.b });
    }
  }
  return out;
}

/** Images (repository → tags) run by the workloads of a namespace. */
export function imagesIn(resources: readonly ResourceLike[], env: string): { repository: string; ref: string; urn: string; container: string }[] {
  const out: { repository: string; ref: string; urn: string; container: string }[] = [];
  for (const r of resources) {
    if (namespaceOf(r) !== env) continue;
    const t = podTemplateOf(r);
    if (!t) continue;
    const cs = containersOf(t.spec);
    if (isUnknown(cs)) continue;
    for (const c of cs) {
      const image = str(c.value, "image");
      if (typeof image !== "string") continue;
      const p = parseImage(image);
      out.push({ repository: p.repository, ref: p.digest ?? p.tag ?? "latest", urn: r.urn, container: c.name });
    }
  }
  return out;
}

/** Promotion rule: every production image (repository + tag/digest) runs in staging too. */
export function promotionViolations(
  stagingResources: readonly ResourceLike[],
  productionResources: readonly ResourceLike[],
  stagingNs: string,
  productionNs: string,
): { message: string; urn: string }[] {
  const staged = new Map<string, Set<string>>();
  for (const i of imagesIn(stagingResources, stagingNs)) {
    const s = staged.get(i.repository) ?? new Set<string>();
    s.add(i.ref);
    staged.set(i.repository, s);
  }
  const out: { message: string; urn: string }[] = [];
  for (const i of imagesIn(productionResources, productionNs)) {
    const s = staged.get(i.repository);
    if (!s || !s.has(i.ref))
      out.push({
        message:
          `container ${i.container} runs ${i.repository}:${i.ref} in ${productionNs}, which ${stagingNs} does not run ` +
          `(${stagingNs} runs ${s ? [...s].join(", ") : "no image of that repository"}); promote through ${stagingNs} first`,
        urn: i.urn,
      });
  }
  return out;
}

/** Resources of `resources` in namespace `ns` (for splitting a merged view). */
export function inNamespace(resources: readonly ResourceLike[], ns: string): ResourceLike[] {
  return resources.filter((r) => namespaceOf(r) === ns);
}

