/**
 * NetworkPolicy evaluator. Semantics as the API documents them:
 * - a pod is isolated for a direction when any policy selecting it lists that policyType;
 *   what is allowed is then the union of those policies' rules;
 * - a connection needs the source's egress AND the destination's ingress to allow it;
 * - inside one peer, namespaceSelector AND podSelector; separate peers are OR'ed;
 *   a peer without namespaceSelector means the policy's own namespace;
 * - an ipBlock reaches pods when it overlaps the pod CIDR after its `except`s;
 * - missing `from`/`to`/`ports` mean all.
 * Pods in namespaces where developers or QA create pods are adversarial: they may carry any
 * labels, so a podSelector narrows nothing unless it is contradictory. Namespaces whose
 * policies are not in view are open (the conservative reading); a pair of namespaces neither of
 * whose policies is in view is not judged.
 */
import {
  APP_KINDS,
  CatalogueEntry,
  DATABASE,
  DEFAULT_APP_NAME,
  FEATURE_STACK_PREFIX,
  LABEL,
  LOCKED_ENVIRONMENTS,
  PLATFORM_PODS,
  SERVICES,
  namespaceLabels,
  workloadLabels,
} from "../conventions";
import { featurePinnedLabels } from "./fences";
import { NamespaceInfo, ResourceLike, isKind, namespaceKind, namespacesInView, objectName, podTemplateOf, EnvKind } from "./objects";
import { Selector, isEmptySelector, matches, readSelector, satisfiable } from "./selectors";
import { UNKNOWN, Unknown, at, isUnknown, list, num, str } from "./values";

/** A NetworkPolicy peer. */
export interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except: string[] };
  unknown: boolean;
}
/** A port of a rule; `port` undefined means every port of the protocol. */
export interface PortSpec {
  protocol: string;
  port?: number | string;
  endPort?: number;
}
/** One ingress or egress rule. */
export interface NetRule {
  peers: Peer[] | "all";
  ports: PortSpec[] | "all";
}
/** A NetworkPolicy. */
export interface NetPol {
  namespace: string;
  name: string;
  podSelector: Selector;
  ingressType: boolean;
  egressType: boolean;
  ingress: NetRule[];
  egress: NetRule[];
  urn: string;
}
/** A pod (from a workload template, or synthesised from the conventions). */
export interface PodInfo {
  namespace: string;
  labels: Record<string, string | Unknown> | Unknown;
  ports: { name?: string; port: number; protocol: string }[];
  /** For messages. */
  name: string;
  /** May carry any labels (created by developers or QA). */
  adversarial: boolean;
  urn?: string;
  component?: string;
}

/** Options (the policy config). */
export interface NetOptions {
  /** Pod CIDR of the cluster (k3s default). */
  podCidr?: string;
  /** Namespace and labels of the DNS pods. */
  dnsNamespace?: string;
  dnsPodLabels?: Record<string, string>;
  /** Namespace kinds that must be default-deny. */
  defaultDenyKinds?: string[];
  /** Kinds whose pods are adversarial sources. */
  untrustedKinds?: string[];
  /** Kinds whose database pods must be unreachable from untrusted pods. */
  protectedKinds?: string[];
  /** Locked namespaces (synthesised when not in view). */
  lockedNamespaces?: string[];
  /** App name for synthesised pods' labels. */
  appName?: string;
}

/** Defaults of {@link NetOptions}. */
export const NET_DEFAULTS: Required<NetOptions> = {
  podCidr: "10.42.0.0/16",
  dnsNamespace: PLATFORM_PODS.dns.namespace,
  dnsPodLabels: { ...PLATFORM_PODS.dns.labels },
  defaultDenyKinds: [...APP_KINDS],
  untrustedKinds: ["feature", "qa"],
  protectedKinds: [...LOCKED_ENVIRONMENTS],
  lockedNamespaces: [...LOCKED_ENVIRONMENTS],
  appName: DEFAULT_APP_NAME,
};

/** The conventions' catalogue and database, for namespaces whose pods are not in view. */
export const CATALOGUE: readonly CatalogueEntry[] = [...SERVICES, DATABASE];


function readPeer(p: unknown): Peer {
  const peer: Peer = { unknown: isUnknown(p) };
  if (at(p, "podSelector") !== undefined && at(p, "podSelector") !== null) peer.podSelector = readSelector(p, "podSelector");
  if (at(p, "namespaceSelector") !== undefined && at(p, "namespaceSelector") !== null)
    peer.namespaceSelector = readSelector(p, "namespaceSelector");
  const cidr = str(p, "ipBlock", "cidr");
  if (cidr !== undefined) {
    const ex = list(p, "ipBlock", "except");
    if (isUnknown(cidr) || isUnknown(ex)) peer.unknown = true;
    else peer.ipBlock = { cidr, except: ex.filter((e): e is string => typeof e === "string") };
  }
  return peer;
}

function readRules(obj: unknown, dir: "ingress" | "egress"): NetRule[] | Unknown {
  const rules = list(obj, "spec", dir);
  if (isUnknown(rules)) return UNKNOWN;
  return rules.map((r) => {
    const peersRaw = at(r, dir === "ingress" ? "from" : "to");
    const portsRaw = at(r, "ports");
    let peers: Peer[] | "all" = "all";
    if (isUnknown(peersRaw)) peers = [{ unknown: true }];
    else if (Array.isArray(peersRaw) && peersRaw.length > 0) {
      const pl = list(r, dir === "ingress" ? "from" : "to");
      peers = isUnknown(pl) ? [{ unknown: true }] : pl.map(readPeer);
    }
    let ports: PortSpec[] | "all" = "all";
    if (isUnknown(portsRaw)) ports = "all";
    else if (Array.isArray(portsRaw) && portsRaw.length > 0) {
      const pl = list(r, "ports");
      ports = isUnknown(pl)
        ? "all"
        : pl.map((p) => {
            const proto = str(p, "protocol");
            const port = at(p, "port");
            const end = num(p, "endPort");
            return {
              protocol: typeof proto === "string" ? proto : "TCP",
              port: typeof port === "number" || typeof port === "string" ? port : undefined,
              endPort: typeof end === "number" ? end : undefined,
            };
          });
    }
    return { peers, ports };
  });
}

/**
 * Can a namespace whose `pinned` labels are fixed, and whose other labels are anyone's choice,
 * be selected by `s`? The pinned part must match; the rest must only be satisfiable.
 */
export function selectableWith(s: Selector, pinned: Record<string, string>): boolean {
  if (s.unknown) return true;
  const isPinned = (k: string) => Object.prototype.hasOwnProperty.call(pinned, k);
  const fixed: Selector = {
    matchLabels: Object.fromEntries(Object.entries(s.matchLabels).filter(([k]) => isPinned(k))),
    matchExpressions: s.matchExpressions.filter((e) => isPinned(e.key)),
    unknown: false,
  };
  const free: Selector = {
    matchLabels: Object.fromEntries(Object.entries(s.matchLabels).filter(([k]) => !isPinned(k))),
    matchExpressions: s.matchExpressions.filter((e) => !isPinned(e.key)),
    unknown: false,
  };
  return matches(fixed, pinned, true) && satisfiable(free);
}

/**
 * A rule that admits every pod on every port: `{}`, or an ipBlock that covers the whole pod CIDR
 * with no exception inside it (`0.0.0.0/0`, `10.0.0.0/8` on k3s's `10.42.0.0/16`).
 */
export function allowsEverything(rule: NetRule, podCidr: string = NET_DEFAULTS.podCidr): boolean {
  if (rule.ports !== "all") return false;
  if (rule.peers === "all") return true;
  return rule.peers.some((p) => !p.unknown && p.ipBlock !== undefined && ipBlockCoversPods(p.ipBlock, podCidr));
}

/**
 * Does an ipBlock admit every pod address (the pod CIDR inside it, no `except` touching it)? A pod
 * CIDR with no IPv4 block this can read counts as all of IPv4: only `0.0.0.0/0` covers it.
 */
export function ipBlockCoversPods(block: { cidr: string; except: string[] }, podCidr: string): boolean {
  const b = cidrRange(block.cidr);
  const p = podRange(podCidr) ?? [0, 2 ** 32 - 1];
  if (!b || b[0] > p[0] || b[1] < p[1]) return false;
  return block.except.every((e) => {
    const x = cidrRange(e);
    return x !== undefined && (x[1] < p[0] || x[0] > p[1]);
  });
}

/** The network model of a set of resources. */
export interface NetModel {
  namespaces: Map<string, NamespaceInfo>;
  policies: NetPol[];
  /** Namespaces whose NetworkPolicies are in view (the stack owning its guardrails is present). */
  visible: Set<string>;
  pods: PodInfo[];
  /** Problems reading policies (unknown namespaces at preview and the like). */
  notes: { message: string; urn: string }[];
}

/**
 * The preview that stands for every preview of other stacks (previews are judged alike); PR
 * numbers start at 1, so it can never be mistaken for a real preview.
 */
export const PREVIEW_PROTOTYPE = `${FEATURE_STACK_PREFIX}0`;

/**
 * A namespace not in view, with the labels the program gives an environment namespace of its kind
 * (`namespaceLabels`, the function the program's EnvironmentNamespace uses) plus the API server's
 * name label; a namespace of no environment kind carries only the name label.
 */
export function conventionalNamespace(name: string, appName: string, kind: EnvKind = namespaceKind(name)): NamespaceInfo {
  const labels: Record<string, string> =
    kind === "other" || kind === "cluster" ? { [LABEL.namespaceName]: name } : { ...namespaceLabels(appName, name, kind), [LABEL.namespaceName]: name };
  return { name, kind, labels };
}

function labelsFor(ns: string, svc: CatalogueEntry, appName: string): Record<string, string> {
  return workloadLabels({ appName, environment: ns, name: svc.name, component: svc.component });
}

/** Builds the model: namespaces, policies, pods (real ones, else synthesised from conventions). */
export function readNetwork(resources: readonly ResourceLike[], options: NetOptions = {}): NetModel {
  const o = { ...NET_DEFAULTS, ...options };
  const namespaces = namespacesInView(resources);
  const visible = new Set<string>();
  for (const [name, info] of namespaces) if (info.resource) visible.add(name);
  const policies: NetPol[] = [];
  const pods: PodInfo[] = [];
  const notes: { message: string; urn: string }[] = [];
  const seen = new Set<string>();
  const ensureNs = (name: string) => {
    if (!namespaces.has(name)) namespaces.set(name, conventionalNamespace(name, o.appName));
  };
  for (const r of resources) {
    if (seen.has(r.urn)) continue;
    seen.add(r.urn);
    if (isKind(r.type, "NetworkPolicy")) {
      const ns = str(r.props, "metadata", "namespace") ?? "default";
      const name = objectName(r);
      if (isUnknown(ns)) {
        notes.push({ message: `NetworkPolicy ${r.name}: namespace unknown at preview, not counted`, urn: r.urn });
        continue;
      }
      const types = list(r.props, "spec", "policyTypes");
      const ingress = readRules(r.props, "ingress");
      const egress = readRules(r.props, "egress");
      let ingressType = true;
      let egressType = !isUnknown(egress) && at(r.props, "spec", "egress") !== undefined;
      if (!isUnknown(types) && types.length > 0) {
        ingressType = types.includes("Ingress");
        egressType = types.includes("Egress");
      } else if (isUnknown(types)) {
        // Unknown types: isolates in both directions for default-deny purposes is not provable.
        notes.push({ message: `NetworkPolicy ${ns}/${String(name)}: policyTypes unknown at preview`, urn: r.urn });
      }
      policies.push({
        namespace: ns,
        name: isUnknown(name) ? r.name : name,
        podSelector: readSelector(r.props, "spec", "podSelector"),
        ingressType,
        egressType,
        // Unknown rules at preview: treated as allowing everything (conservative).
        ingress: isUnknown(ingress) ? [{ peers: "all", ports: "all" }] : ingress,
        egress: isUnknown(egress) ? [{ peers: "all", ports: "all" }] : egress,
        urn: r.urn,
      });
      visible.add(ns);
      ensureNs(ns);
    }
    const t = podTemplateOf(r);
    if (t && typeof t.namespace === "string") {
      const ports: PodInfo["ports"] = [];
      const cs = list(t.spec, "containers");
      if (!isUnknown(cs)) {
        for (const c of cs) {
          const pl = list(c, "ports");
          if (isUnknown(pl)) continue;
          for (const p of pl) {
            const n = num(p, "containerPort");
            const nm = str(p, "name");
            const proto = str(p, "protocol");
            if (typeof n === "number")
              ports.push({ port: n, name: typeof nm === "string" ? nm : undefined, protocol: typeof proto === "string" ? proto : "TCP" });
          }
        }
      }
      const comp = isUnknown(t.labels) ? undefined : t.labels[LABEL.component];
      pods.push({
        namespace: t.namespace,
        labels: t.labels,
        ports,
        name: `${t.kind} ${t.namespace}/${String(objectName(r) === UNKNOWN ? r.name : objectName(r))}`,
        adversarial: false,
        urn: r.urn,
        component: typeof comp === "string" ? comp : undefined,
      });
      ensureNs(t.namespace);
    }
  }
  for (const l of o.lockedNamespaces) ensureNs(l);
  ensureNs(o.dnsNamespace);
  // Namespaces in view without pods in view get the conventional catalogue.
  const withPods = new Set(pods.map((p) => p.namespace));
  for (const info of namespaces.values()) {
    if (withPods.has(info.name) || !(APP_KINDS as readonly string[]).includes(info.kind)) continue;
    for (const svc of CATALOGUE) {
      pods.push({
        namespace: info.name,
        labels: labelsFor(info.name, svc, o.appName),
        ports: [{ port: svc.port, protocol: "TCP", name: svc.component === "database" ? "postgres" : "http" }],
        name: `${svc.name} pod in ${info.name} (conventional, not in view)`,
        adversarial: false,
        component: svc.component,
      });
    }
  }
  pods.push({
    namespace: o.dnsNamespace,
    labels: { ...o.dnsPodLabels },
    ports: [
      { port: 53, protocol: "UDP", name: "dns" },
      { port: 53, protocol: "TCP", name: "dns-tcp" },
    ],
    name: `DNS pods in ${o.dnsNamespace}`,
    adversarial: false,
    component: "dns",
  });
  return { namespaces, policies, visible, pods, notes };
}

function ipv4(s: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}
/** [first, last] of an IPv4 CIDR; undefined for IPv6 or garbage. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const [addr, bitsText] = cidr.split("/");
  const base = ipv4(addr);
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (base === undefined || !(bits >= 0 && bits <= 32)) return undefined;
  const size = 2 ** (32 - bits);
  const first = Math.floor(base / size) * size;
  return [first, first + size - 1];
}

/** The IPv4 range of a pod CIDR, which may be a dual-stack list (`10.42.0.0/16,2001:cafe:42::/56`). */
export function podRange(podCidr: string): [number, number] | undefined {
  return podCidr
    .split(",")
    .map((c) => cidrRange(c.trim()))
    .find((r) => r !== undefined);
}

/** Does an ipBlock admit any pod address (pod CIDR minus the excepts)? IPv6 blocks: no. */
export function ipBlockReachesPods(block: { cidr: string; except: string[] }, podCidr: string): boolean {
  const b = cidrRange(block.cidr);
  const p = podRange(podCidr);
  if (!p) return true;
  if (!b) return block.cidr.includes(":") ? false : true;
  let ranges: [number, number][] = [[Math.max(b[0], p[0]), Math.min(b[1], p[1])]];
  if (ranges[0][0] > ranges[0][1]) return false;
  for (const e of block.except) {
    const x = cidrRange(e);
    if (!x) continue;
    const next: [number, number][] = [];
    for (const [lo, hi] of ranges) {
      if (x[1] < lo || x[0] > hi) next.push([lo, hi]);
      else {
        if (x[0] > lo) next.push([lo, x[0] - 1]);
        if (x[1] < hi) next.push([x[1] + 1, hi]);
      }
    }
    ranges = next;
  }
  return ranges.length > 0;
}

/** The evaluator over a model. */
export class Network {
  private readonly byNs = new Map<string, NetPol[]>();
  readonly opts: Required<NetOptions>;
  constructor(
    readonly model: NetModel,
    options: NetOptions = {},
  ) {
    this.opts = { ...NET_DEFAULTS, ...options };
    for (const p of model.policies) {
      const l = this.byNs.get(p.namespace) ?? [];
      l.push(p);
      this.byNs.set(p.namespace, l);
    }
  }

  /** Policies of a namespace. */
  policiesIn(ns: string): NetPol[] {
    return this.byNs.get(ns) ?? [];
  }

  private selects(p: NetPol, pod: PodInfo): boolean {
    if (p.namespace !== pod.namespace) return false;
    return pod.adversarial ? satisfiable(p.podSelector) : matches(p.podSelector, pod.labels, true);
  }

  private peerMatches(peer: Peer, policyNs: string, pod: PodInfo): boolean {
    if (peer.unknown) return true;
    if (peer.ipBlock) return ipBlockReachesPods(peer.ipBlock, this.opts.podCidr);
    if (!peer.podSelector && !peer.namespaceSelector) return true;
    if (peer.namespaceSelector) {
      const info = this.model.namespaces.get(pod.namespace);
      const labels = info ? info.labels : { [LABEL.namespaceName]: pod.namespace };
      // A preview's own code (its deployer) may set any label on its namespace except those the
      // API server and the admission policies pin: a selector on any other label admits it.
      if (pod.adversarial && (info?.kind ?? namespaceKind(pod.namespace)) === "feature") {
        if (!selectableWith(peer.namespaceSelector, featurePinnedLabels(pod.namespace))) return false;
      } else if (!matches(peer.namespaceSelector, labels, true)) return false;
    } else if (pod.namespace !== policyNs) {
      return false;
    }
    if (!peer.podSelector) return true;
    return pod.adversarial ? satisfiable(peer.podSelector) : matches(peer.podSelector, pod.labels, true);
  }

  private portMatches(ports: PortSpec[] | "all", dst: PodInfo, port: number, protocol: string): boolean {
    if (ports === "all") return true;
    return ports.some((s) => {
      if (s.protocol !== protocol) return false;
      if (s.port === undefined) return true;
      if (typeof s.port === "number") return port >= s.port && port <= (s.endPort ?? s.port);
      const named = dst.ports.filter((p) => p.name === s.port);
      if (dst.adversarial) return true;
      return named.some((p) => p.port === port && p.protocol === protocol);
    });
  }

  /** Egress of `src` to `dst`: allowed, and by which policy (or why). */
  egress(src: PodInfo, dst: PodInfo, port: number, protocol: string): { allowed: boolean; by: string } {
    if (!this.model.visible.has(src.namespace)) return { allowed: true, by: `policies of ${src.namespace} not in view` };
    const pols = this.policiesIn(src.namespace).filter((p) => p.egressType && this.selects(p, src));
    if (pols.length === 0) return { allowed: true, by: `no egress policy selects ${src.name}` };
    if (src.adversarial && !pols.some((p) => isEmptySelector(p.podSelector)))
      return { allowed: true, by: `a pod in ${src.namespace} can pick labels no egress policy selects` };
    for (const p of pols)
      for (const r of p.egress)
        if ((r.peers === "all" || r.peers.some((peer) => this.peerMatches(peer, p.namespace, dst))) && this.portMatches(r.ports, dst, port, protocol))
          return { allowed: true, by: `NetworkPolicy ${p.namespace}/${p.name}` };
    return { allowed: false, by: "" };
  }

  /** Ingress of `dst` from `src`. */
  ingress(src: PodInfo, dst: PodInfo, port: number, protocol: string): { allowed: boolean; by: string } {
    if (!this.model.visible.has(dst.namespace)) return { allowed: true, by: `policies of ${dst.namespace} not in view` };
    const pols = this.policiesIn(dst.namespace).filter((p) => p.ingressType && this.selects(p, dst));
    if (pols.length === 0) return { allowed: true, by: `no ingress policy selects ${dst.name}` };
    for (const p of pols)
      for (const r of p.ingress)
        if ((r.peers === "all" || r.peers.some((peer) => this.peerMatches(peer, p.namespace, src))) && this.portMatches(r.ports, dst, port, protocol))
          return { allowed: true, by: `NetworkPolicy ${p.namespace}/${p.name}` };
    return { allowed: false, by: "" };
  }

  /** Can `src` open `port/protocol` on `dst`? Undefined when neither side's policies are in view. */
  reach(src: PodInfo, dst: PodInfo, port: number, protocol = "TCP"): { allowed: boolean; why: string } | undefined {
    if (!this.model.visible.has(src.namespace) && !this.model.visible.has(dst.namespace)) return undefined;
    const e = this.egress(src, dst, port, protocol);
    if (!e.allowed) return { allowed: false, why: `egress from ${src.namespace} denies it` };
    const i = this.ingress(src, dst, port, protocol);
    if (!i.allowed) return { allowed: false, why: `ingress of ${dst.namespace} denies it` };
    return { allowed: true, why: `egress: ${e.by}; ingress: ${i.by}` };
  }

  /** An adversarial pod in `ns` (any labels). */
  adversary(ns: string): PodInfo {
    return { namespace: ns, labels: {}, ports: [], name: `any pod in ${ns}`, adversarial: true };
  }
}

/** A finding of the network evaluator. */
export interface NetFinding {
  check: "default-deny" | "dns" | "database";
  namespace: string;
  message: string;
  urn?: string;
}

/** Proves default-deny, DNS and database isolation over the model. */
export function evaluateNetwork(input: NetModel, options: NetOptions = {}): NetFinding[] {
  const model: NetModel = { ...input, namespaces: new Map(input.namespaces) };
  const net = new Network(model, options);
  const o = net.opts;
  const out: NetFinding[] = [];
  for (const info of model.namespaces.values()) {
    if (!info.resource || !o.defaultDenyKinds.includes(info.kind)) continue;
    const pols = net.policiesIn(info.name);
    for (const dir of ["Ingress", "Egress"] as const) {
      const ok = pols.some((p) => isEmptySelector(p.podSelector) && (dir === "Ingress" ? p.ingressType : p.egressType));
      if (!ok)
        out.push({
          check: "default-deny",
          namespace: info.name,
          message: `namespace ${info.name} is not default-deny for ${dir}: no NetworkPolicy with an empty podSelector lists policyType ${dir}`,
          urn: info.resource.urn,
        });
      // Policies are a union: one allow-all rule opens what a default-deny policy beside it closes.
      for (const p of pols) {
        const rules = dir === "Ingress" ? (p.ingressType ? p.ingress : []) : p.egressType ? p.egress : [];
        if (rules.some((r) => allowsEverything(r, o.podCidr)))
          out.push({
            check: "default-deny",
            namespace: info.name,
            message: `namespace ${info.name} is not default-deny for ${dir}: NetworkPolicy ${p.name} has a rule that allows every pod on every port`,
            urn: p.urn,
          });
      }
    }
  }
  const dns = model.pods.filter((p) => p.component === "dns");
  for (const pod of model.pods) {
    const info = model.namespaces.get(pod.namespace);
    if (!info || !o.defaultDenyKinds.includes(info.kind) || !model.visible.has(pod.namespace) || pod.component === "dns") continue;
    for (const d of dns)
      for (const proto of ["UDP", "TCP"]) {
        const e = net.egress(pod, d, 53, proto);
        if (!e.allowed)
          out.push({
            check: "dns",
            namespace: pod.namespace,
            message: `${pod.name} cannot reach DNS (${d.namespace}, port 53/${proto}): no egress rule allows it`,
            urn: pod.urn ?? info.resource?.urn,
          });
      }
  }
  const dbs = model.pods.filter((p) => {
    const k = model.namespaces.get(p.namespace)?.kind;
    return p.component === "database" && k !== undefined && o.protectedKinds.includes(k);
  });
  const sources = [...model.namespaces.values()].filter((n) => o.untrustedKinds.includes(n.kind)).map((n) => n.name);
  // Feature namespaces of other stacks exist on the cluster too: judge one prototype of them.
  if (!sources.some((s) => model.namespaces.get(s)?.kind === "feature") && o.untrustedKinds.includes("feature")) {
    model.namespaces.set(PREVIEW_PROTOTYPE, conventionalNamespace(PREVIEW_PROTOTYPE, o.appName, "feature"));
    sources.push(PREVIEW_PROTOTYPE);
  }
  for (const ns of sources) {
    const src = net.adversary(ns);
    for (const db of dbs)
      for (const p of db.ports) {
        const r = net.reach(src, db, p.port, p.protocol);
        if (r?.allowed)
          out.push({
            check: "database",
            namespace: db.namespace,
            message: `${src.name} can reach ${db.name} on ${p.port}/${p.protocol} (${r.why})`,
            urn: db.urn ?? model.namespaces.get(db.namespace)?.resource?.urn,
          });
      }
  }
  return out;
}
