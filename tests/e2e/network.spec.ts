/**
 * Network isolation proved with packets, on real nodes whose NetworkPolicies kube-router enforces
 * (scripts/cluster.sh with CLUSTER_NODE_KIND=real): from a pod of every namespace, a real TCP
 * connection to every app and database port of every namespace opens or is denied (kube-router
 * rejects it: refused), and each connection equals the pack's verdict for it and each cell the
 * pack's reachability matrix (policy/cli/report.ts). Mocha takes the files in order: this runs
 * between lifecycle.spec.ts and real-pods.spec.ts, and owns the cluster for its run.
 *
 * Then, with the same stacks, a rolling update of staging under a client that keeps calling it: no
 * request fails and no Deployment ever has fewer available pods than it asks for (maxUnavailable 0);
 * and staging's data refresh, triggered once, copies a restored backup served outside the cluster
 * (tests/e2e/backup-database.ts) into staging's database, anonymised.
 *
 * Stacks: cluster, qa, staging, production and a preview, as a user runs them on local images. The
 * platform's own pods that the policies admit (Prometheus in monitoring, Traefik in kube-system)
 * are stand-ins with the labels the conventions give them (PLATFORM_PODS), running the app image.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import { apiServerUrl, clusterDown, clusterIsUp, clusterNodeKind, clusterPaths, clusterUp, run, toolchainEnv } from "../../scripts/local/env";
import { LocalStacks, localImages } from "../../scripts/local/stacks";
import { Network, PodInfo, evaluateNetwork, readNetwork } from "../../policy/analysis/netpol";
import { ResourceLike } from "../../policy/analysis/objects";
import { parseStackExport } from "../../policy/analysis/stack-export";
import { isUnknown } from "../../policy/analysis/values";
import { PortClass, ReachCell, reachabilityMatrix, untrustedNamespace } from "../../policy/cli/report";
import { DATA_REFRESH_SECRET, DATA_REFRESH_WORKLOAD, LABEL, PLATFORM_PODS } from "../../policy/conventions";
import { netOptions } from "../../policy/rules/network-isolation";
import { BACKUP_ADDRESS, BACKUP_PORT, Customer, startBackupDatabase } from "./backup-database";
import { kubectl, kubectlApply, kubectlJson } from "./kubectl";

const PREVIEW = "feature-pr-9";
const APP_STACKS = ["qa", "staging", "production", PREVIEW];
const TAG = "v1";
/** The local nodes' pod network (scripts/cluster/real-node.sh), not k3s's 10.42.0.0/16. */
const POD_CIDR = "10.244.0.0/16";
/** Namespaces of the matrix: every environment, monitoring, and kube-system (Traefik). */
const MATRIX = [PREVIEW, "qa", "staging", "production", "monitoring", "kube-system"];
const STAND_INS = [
  { namespace: PLATFORM_PODS.prometheus.namespace, name: "prometheus", labels: PLATFORM_PODS.prometheus.labels },
  { namespace: PLATFORM_PODS.ingress.namespace, name: "traefik", labels: PLATFORM_PODS.ingress.labels },
];

let stacks: LocalStacks;

interface Pod {
  namespace: string;
  name: string;
  workload: string;
  ip: string;
  component: string;
  ports: number[];
  hasTools: boolean;
}

/** One Running, Ready pod per workload (Deployment or StatefulSet) in each namespace. */
function podsOf(namespace: string): Pod[] {
  const byWorkload = new Map<string, Pod>();
  for (const p of kubectlJson(["get", "pods", "-n", namespace]).items as any[]) {
    if (p.status.phase !== "Running" || !p.status.containerStatuses?.every((c: any) => c.ready)) continue;
    // A pod of a finished rollout's old ReplicaSet stays Running and Ready through its grace
    // period; a command exec'd into it is killed with it (exit 137).
    if (p.metadata.deletionTimestamp) continue;
    const owner = p.metadata.ownerReferences?.[0];
    if (!owner || owner.kind === "Job") continue;
    const workload = p.metadata.labels?.[LABEL.name] ?? owner.name;
    if (byWorkload.has(workload)) continue;
    const image: string = p.spec.containers[0].image;
    byWorkload.set(workload, {
      namespace,
      name: p.metadata.name,
      workload,
      ip: p.status.podIP,
      component: p.metadata.labels?.[LABEL.component] ?? "",
      ports: (p.spec.containers[0].ports ?? []).filter((x: any) => (x.protocol ?? "TCP") === "TCP").map((x: any) => x.containerPort),
      hasTools: image.startsWith("team-environments.local/app/"),
    });
  }
  return [...byWorkload.values()];
}

const classOf = (component: string): PortClass | undefined => (component === "database" ? "db" : component === "web" || component === "api" ? "app" : undefined);

/** `/app/tools probe` in a pod: outcome per target. */
function probe(pod: Pod, targets: string[]): Map<string, string> {
  const out = kubectl(["exec", "-n", pod.namespace, pod.name, "--", "/app/tools", "probe", "--timeout=2s", ...targets]);
  const result = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^(\S+) (open|refused|timeout|error|resolved|unresolved)\b/.exec(line.trim());
    if (m) result.set(m[1], m[2]);
  }
  for (const t of targets) assert.ok(result.has(t), `no probe result for ${t} from ${pod.namespace}/${pod.name}:\n${out}`);
  return result;
}

/** One connection a source pod tried: from a workload's pod to a port of another's. */
interface Attempt {
  from: Pod;
  to: Pod;
  cls: PortClass;
  port: number;
  outcome: string;
}

/** Every pod with /app/tools of every namespace tries every app and database port of every namespace. */
function attempts(): Attempt[] {
  const pods = new Map(MATRIX.map((ns) => [ns, podsOf(ns)]));
  const targets: { pod: Pod; cls: PortClass; port: number }[] = [];
  for (const list of pods.values())
    for (const pod of list) {
      const cls = classOf(pod.component);
      if (cls) for (const port of pod.ports) targets.push({ pod, cls, port });
    }
  const out: Attempt[] = [];
  for (const from of MATRIX) {
    const sources = (pods.get(from) ?? []).filter((p) => p.hasTools);
    assert.ok(sources.length > 0, `no pod in ${from} can run /app/tools`);
    for (const src of sources) {
      const outcome = probe(src, targets.map((t) => `${t.pod.ip}:${t.port}`));
      for (const t of targets) out.push({ from: src, to: t.pod, cls: t.cls, port: t.port, outcome: outcome.get(`${t.pod.ip}:${t.port}`)! });
    }
  }
  // Only an opened connection is reachable: kube-router rejects what a policy denies (refused),
  // an enforcer that drops would time out. Anything else is neither, and not a verdict.
  const odd = out.filter((a) => !["open", "refused", "timeout"].includes(a.outcome));
  assert.deepStrictEqual(odd.map(show), [], "connections that neither opened nor were refused or timed out");
  return out;
}

const show = (a: Attempt) => `${a.from.namespace}/${a.from.workload} → ${a.to.namespace}/${a.to.workload} ${a.to.ip}:${a.port}: ${a.outcome}`;

/** What the pack says, per connection and per cell. */
interface PackView {
  cell: (from: string, to: string, c: PortClass) => ReachCell;
  /** Undefined where neither side's policies are in view. */
  connection: (a: Attempt) => boolean | undefined;
}

function packView(resources: ResourceLike[]): PackView {
  const options = netOptions({ podCidr: POD_CIDR });
  const model = readNetwork(resources, options);
  const net = new Network(model, options);
  const podInfo = (pod: Pod): PodInfo => {
    // By name and component: a service's migrations Job carries its name too.
    const info = model.pods.find(
      (p) => p.namespace === pod.namespace && !isUnknown(p.labels) && p.labels[LABEL.name] === pod.workload && (p.labels[LABEL.component] ?? "") === pod.component,
    );
    assert.ok(info, `the pack has no pod for ${pod.namespace}/${pod.workload}`);
    return info;
  };
  return {
    cell: reachabilityMatrix(model, options),
    connection: (a) => {
      // Where developers create pods the pack judges any pod (any labels), as the matrix does.
      const src = untrustedNamespace(model, options, a.from.namespace) ? net.adversary(a.from.namespace) : podInfo(a.from);
      return net.reach(src, podInfo(a.to), a.port, "TCP")?.allowed;
    },
  };
}

/**
 * Compares the pack with real connections, connection by connection and cell by cell (a cell is
 * reachable when any connection of it opened). Packets get up to `settle` seconds for the
 * controller to catch up with a change.
 */
function compare(pack: PackView, settle = 30): string[] {
  const deadline = Date.now() + settle * 1000;
  for (;;) {
    const tried = attempts();
    const diffs: string[] = [];
    for (const a of tried) {
      const want = pack.connection(a);
      if (want !== undefined && want !== (a.outcome === "open")) diffs.push(`connection ${show(a)}, pack says ${want ? "allowed" : "denied"}`);
    }
    for (const from of MATRIX)
      for (const to of MATRIX)
        for (const c of ["app", "db"] as const) {
          const inCell = tried.filter((a) => a.from.namespace === from && a.to.namespace === to && a.cls === c);
          const got: ReachCell = inCell.length === 0 ? "none" : inCell.some((a) => a.outcome === "open") ? "reachable" : "denied";
          const want = pack.cell(from, to, c);
          if (got === "none" && (want === "none" || want === "unknown")) continue;
          if (want !== got) diffs.push(`cell ${from} → ${to} ${c}: pack ${want}, packets ${got}\n    ${inCell.map(show).join("\n    ")}`);
        }
    if (diffs.length === 0) console.log(`      ${tried.length} connections, ${tried.filter((a) => a.outcome === "open").length} open, all as the pack says`);
    if (diffs.length === 0 || Date.now() > deadline) return diffs;
    run("settle", "sleep", ["5"]);
  }
}

/** From this machine (which every policy admits: kube-router accepts the node's own traffic), every target port answers. */
async function everyTargetListens(): Promise<string[]> {
  const closed: string[] = [];
  for (const ns of MATRIX)
    for (const pod of podsOf(ns))
      if (classOf(pod.component))
        for (const port of pod.ports) {
          const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect({ host: pod.ip, port, timeout: 3000 });
            socket.once("connect", () => (socket.destroy(), resolve(true)));
            socket.once("timeout", () => (socket.destroy(), resolve(false)));
            socket.once("error", () => resolve(false));
          });
          if (!open) closed.push(`${ns}/${pod.workload} ${pod.ip}:${port}`);
        }
  return closed;
}

/** The live Deployment of a stand-in, as the pack reads objects. */
function liveResource(namespace: string, name: string): ResourceLike {
  const obj = kubectlJson(["get", "deployment", name, "-n", namespace]);
  return { type: "kubernetes:apps/v1:Deployment", urn: `urn:pulumi:live::cluster::kubernetes:apps/v1:Deployment::${namespace}-${name}`, name, props: obj };
}

/** Each stack's state (exported once all are up) and the stand-ins as they run. */
const exported = new Map<string, ResourceLike[]>();

/** Every stack's state plus the stand-ins: what the pack sees of the cluster. */
function packResources(extra: ResourceLike[] = []): ResourceLike[] {
  return [...[...exported.values()].flat(), ...extra];
}

function standIn(s: (typeof STAND_INS)[number]): unknown {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: s.name, namespace: s.namespace, labels: s.labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: s.labels },
      template: {
        metadata: { labels: s.labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: s.name,
              image: `team-environments.local/app/pwa:${TAG}`,
              env: [{ name: "SERVICE", value: "pwa" }],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/", port: 8080 } },
              resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}

describe("end to end on real nodes: network isolation proved with packets", function () {
  this.timeout(60 * 60 * 1000);

  before(() => {
    const toolchain = toolchainEnv();
    if (clusterIsUp()) clusterDown();
    // Staging and production request 2.6 CPUs each at their minimum replicas: four 2-CPU nodes.
    clusterUp({ nodeKind: "real", nodes: 4 });
    assert.strictEqual(clusterNodeKind(), "real");
    run("policy deps", "bash", ["scripts/policy-deps.sh"]);
    stacks = new LocalStacks("e2e-network", toolchain, { fresh: true });
    stacks.ensureStack("cluster", { apiServerUrl: apiServerUrl(), ciOidcRepository: "acme/shop" });
    stacks.up("cluster");
    for (const stack of APP_STACKS) {
      stacks.ensureStack(stack, localImages(TAG));
      // The Secrets qa, staging and production take env from exist before they deploy (a secret
      // manager writes them on a real cluster): empty ones here.
      stacks.createMissingSecrets(stack);
      stacks.up(stack);
    }
    for (const stack of ["cluster", ...APP_STACKS]) {
      const file = stacks.exportTo(stack);
      exported.set(stack, parseStackExport(JSON.parse(fs.readFileSync(file, "utf8")), file).resources);
    }
    for (const s of STAND_INS) {
      kubectlApply(standIn(s));
      kubectl(["rollout", "status", `deployment/${s.name}`, "-n", s.namespace, "--timeout=120s"]);
    }
    exported.set("stand-ins", STAND_INS.map((s) => liveResource(s.namespace, s.name)));
  });

  after(() => {
    if (clusterIsUp()) clusterDown();
  });

  it("resolves names from every namespace under default-deny egress", () => {
    for (const ns of APP_STACKS) {
      const [pod] = podsOf(ns).filter((p) => p.hasTools);
      assert.ok(pod, `a pod in ${ns}`);
      const out = probe(pod, ["dns:kubernetes.default.svc.cluster.local", `dns:core-api.${ns}.svc.cluster.local`]);
      for (const [target, outcome] of out) assert.strictEqual(outcome, "resolved", `${ns}: ${target}`);
    }
  });

  it("every cell of the pack's reachability matrix, and every connection, is what real connections do", async () => {
    assert.deepStrictEqual(await everyTargetListens(), [], "ports that do not answer even from the node");
    const diffs = compare(packView(packResources()));
    assert.deepStrictEqual(diffs, [], `cells where the pack and the packets disagree:\n${diffs.join("\n")}`);
  });

  it("a preview that opens its own egress still cannot reach production; a production policy admitting previews is caught by the pack and by the packets", () => {
    // What a branch's code can do to its own preview: allow every egress.
    const openEgress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-all-egress", namespace: PREVIEW },
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{}] },
    };
    // The deliberate break: production admits every pod of every preview, on every port.
    const admitPreviews = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-previews", namespace: "production" },
      spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { [LABEL.kind]: "feature" } } }] }] },
    };
    const asResource = (o: { kind: string; metadata: { name: string; namespace: string } }): ResourceLike => ({
      type: `kubernetes:networking.k8s.io/v1:${o.kind}`,
      urn: `urn:pulumi:live::${o.metadata.namespace}::kubernetes:networking.k8s.io/v1:${o.kind}::${o.metadata.name}`,
      name: o.metadata.name,
      props: o as unknown as Record<string, unknown>,
    });
    const options = netOptions({ podCidr: POD_CIDR });
    try {
      kubectlApply(openEgress);
      const opened = packView(packResources([asResource(openEgress)]));
      assert.strictEqual(opened.cell(PREVIEW, "production", "db"), "denied", "production's own policies keep an opened preview out");
      const diffs = compare(opened);
      assert.deepStrictEqual(diffs, [], `with the preview's egress open, cells where the pack and the packets disagree:\n${diffs.join("\n")}`);

      // The pack as CI runs it on production's stack alone (previews unseen, so judged open) finds the break.
      const productionView = [...exported.get("cluster")!, ...exported.get("production")!, asResource(admitPreviews)];
      const findings = evaluateNetwork(readNetwork(productionView, options), options).filter((f) => f.check === "database" && f.namespace === "production");
      assert.ok(findings.length > 0, "the pack finds a preview reaching production's database");
      kubectlApply(admitPreviews);
      const broken = packView(packResources([asResource(openEgress), asResource(admitPreviews)]));
      assert.strictEqual(broken.cell(PREVIEW, "production", "db"), "reachable");
      const brokenDiffs = compare(broken);
      assert.deepStrictEqual(brokenDiffs, [], `with the broken policy, cells where the pack and the packets disagree:\n${brokenDiffs.join("\n")}`);
    } finally {
      kubectl(["delete", "networkpolicy", "allow-previews", "-n", "production", "--ignore-not-found"]);
      kubectl(["delete", "networkpolicy", "allow-all-egress", "-n", PREVIEW, "--ignore-not-found"]);
    }
    const closed = compare(packView(packResources()));
    assert.deepStrictEqual(closed, [], `after removing both policies:\n${closed.join("\n")}`);
  });

  it("rolls staging to v2 while a client keeps calling it: no failed request, never fewer available pods than asked for", async () => {
    const traefik = podsOf("kube-system").find((p) => p.workload === "traefik");
    assert.ok(traefik, "the Traefik stand-in runs");
    // The client is the ingress controller's stand-in, calling what it exposes through the Services.
    const urls = ["pwa", "api-gateway", "auth"].map((svc) => {
      const port = kubectlJson(["get", "service", svc, "-n", "staging"]).spec.ports[0].port;
      return `http://${svc}.staging.svc.cluster.local:${port}/version`;
    });
    const admin = clusterPaths().admin;
    const client = spawn("kubectl", ["--kubeconfig", admin, "exec", "-i", "-n", "kube-system", traefik.name, "--", "/app/tools", "watch-http", "--until-eof", "--report=2s", ...urls]);
    const deployments = spawn("kubectl", [
      "--kubeconfig", admin, "get", "deployments", "-n", "staging", "--watch",
      "-o", "jsonpath={.metadata.name} {.spec.replicas} {.status.availableReplicas} {.status.updatedReplicas}{\"\\n\"}",
    ]);
    let clientOut = "";
    let deploymentEvents = "";
    client.stdout.on("data", (d) => (clientOut += d));
    client.stderr.on("data", (d) => (clientOut += d));
    deployments.stdout.on("data", (d) => (deploymentEvents += d));
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await settle(5000);
      stacks.ensureStack("staging", { imageTag: "v2" });
      stacks.up("staging");
      await settle(6000);
    } finally {
      const exited = new Promise((r) => client.on("exit", r));
      client.stdin.end();
      await Promise.race([exited, settle(15000)]);
      client.kill();
      deployments.kill();
    }
    const summaries = clientOut.split("\n").filter((l) => /^ok=\d+ fail=\d+/.test(l));
    const failures = clientOut.split("\n").filter((l) => l.startsWith("fail "));
    const last = summaries[summaries.length - 1] ?? "";
    console.log(`      client during the rollout: ${last}`);
    assert.deepStrictEqual(failures, [], `requests failed during the rollout:\n${clientOut.slice(-3000)}`);
    assert.match(last, /fail=0 versions=.*v1:\d+.*v2:\d+/, `the client saw v1, then v2, and nothing failed:\n${clientOut.slice(-2000)}`);
    const events = deploymentEvents.trim().split("\n").map((l) => l.split(" "));
    assert.ok(events.length > 4, `deployment events:\n${deploymentEvents}`);
    for (const [name, replicas, available] of events) {
      assert.ok(Number(available || 0) >= Number(replicas), `${name}: ${available || 0} available of ${replicas} during the rollout:\n${deploymentEvents}`);
    }
    for (const d of kubectlJson(["get", "deployments", "-n", "staging"]).items as any[]) {
      assert.match(d.spec.template.spec.containers[0].image, /:v2$/, `${d.metadata.name} runs v2`);
    }
  });

  it("runs staging's data refresh once: it reads the restored backup on a public address, port 443 (no other staging pod may), and writes it anonymised into staging's database", () => {
    const customers: Customer[] = [
      { id: 1, email: "ann.lee@example.com", name: "Ann Lee" },
      { id: 2, email: "bob.o'neil@example.com", name: "Bob O'Neil" },
      { id: 3, email: "chen.wu@example.com", name: "Chen Wu" },
    ];
    const cronJob = kubectlJson(["get", "cronjob", DATA_REFRESH_WORKLOAD, "-n", "staging"]);
    const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
    const credentials = container.env.find((e: any) => e.name === "TARGET_DATABASE_PASSWORD").valueFrom.secretKeyRef.name;
    const secret = kubectlJson(["get", "secret", credentials, "-n", "staging"]).data;
    const decode = (k: string) => Buffer.from(secret[k], "base64").toString("utf8");
    const backup = startBackupDatabase(customers);
    const job = "data-refresh-once";
    try {
      // What a secret manager writes on a real cluster: where the restored backup is, and staging's database.
      kubectl(["create", "secret", "generic", DATA_REFRESH_SECRET, "-n", "staging",
        `--from-literal=SOURCE_DATABASE_URL=${backup.url}`, `--from-literal=TARGET_DATABASE_USER=${decode("username")}`, `--from-literal=TARGET_DATABASE_NAME=${decode("database")}`]);
      // Only the refresh's pods have this egress: every other staging pod that can try is refused
      // (the host reached the server just before: startBackupDatabase checks it).
      const target = `${BACKUP_ADDRESS}:${BACKUP_PORT}`;
      const others = podsOf("staging").filter((p) => p.hasTools);
      assert.ok(others.length >= 4, `staging pods that can try: ${others.map((p) => p.workload).join(", ")}`);
      for (const other of others) assert.strictEqual(probe(other, [target]).get(target), "refused", `staging/${other.workload} must not reach the backup`);

      kubectl(["create", "job", job, `--from=cronjob/${DATA_REFRESH_WORKLOAD}`, "-n", "staging"]);
      let status: any = {};
      for (const deadline = Date.now() + 180_000; Date.now() < deadline; run("wait", "sleep", ["2"])) {
        status = kubectlJson(["get", "job", job, "-n", "staging"]).status ?? {};
        if (status.succeeded || status.failed) break;
      }
      let logs: string;
      try {
        logs = kubectl(["logs", `job/${job}`, "-n", "staging"]);
      } catch (e) {
        logs = `(no logs: ${(e as Error).message.split("\n")[0]})`;
      }
      assert.ok(status.succeeded === 1, `the refresh Job did not complete (${JSON.stringify(status)}):\n${logs}`);
      console.log(`      ${logs.trim()}`);
      assert.match(logs, new RegExp(`copied ${customers.length} customers from backup://production/latest`));
      assert.ok(!logs.includes(new URL(backup.url).password), "the refresh's log never shows the backup's password");

      const [db] = podsOf("staging").filter((p) => p.component === "database");
      const rows = kubectl(["exec", "-n", "staging", db.name, "--", "psql", "-U", decode("username"), "-d", decode("database"), "-Atc", "SELECT id, email, name FROM customers ORDER BY id"]);
      assert.deepStrictEqual(
        rows.trim().split("\n"),
        customers.map((c) => `${c.id}|customer-${c.id}@example.invalid|Customer ${c.id}`),
        "staging holds every backup row, anonymised",
      );
    } finally {
      backup.stop();
      kubectl(["delete", "job", job, "-n", "staging", "--ignore-not-found"]);
      kubectl(["delete", "secret", DATA_REFRESH_SECRET, "-n", "staging", "--ignore-not-found"]);
    }
  });
});
