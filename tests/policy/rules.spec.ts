import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { forgetBackendStacks } from "../../policy/analysis/backend";
import { ResourceLike } from "../../policy/analysis/objects";
import { policies } from "../../policy/policies";
import { loadPackConfig } from "../../policy/runner";
import { Network, allowsEverything, readNetwork } from "../../policy/analysis/netpol";
import {
  DEVELOPERS,
  UNKNOWN_STRING,
  binding,
  deployment,
  findingsOf,
  guardrailPolicies,
  mutate,
  namespace,
  netpol,
  res,
  role,
  workloadLabels,
  writeExport,
} from "./helpers";

const F = "feature-pr-7";
type Props = Record<string, any>;
const props = (r: ResourceLike) => r.props as Props;
const byName = (rs: ResourceLike[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no ${name}`);
  return r;
};
const replace = (rs: ResourceLike[], name: string, fn: (p: Props) => void): ResourceLike[] =>
  rs.map((r) => (r.name === name ? { ...r, props: mutate(r.props as Props, fn) } : r));

function featureStack(): ResourceLike[] {
  const ns = F;
  return [
    namespace(F, ns, "feature"),
    res(F, "kubernetes:core/v1:ResourceQuota", `${ns}-quota`, { metadata: { name: "quota", namespace: ns }, spec: { hard: { "requests.cpu": "2" } } }),
    res(F, "kubernetes:core/v1:LimitRange", `${ns}-limits`, { metadata: { name: "limits", namespace: ns }, spec: { limits: [] } }),
    ...guardrailPolicies(F, ns),
    binding(F, ns, "developers", { kind: "ClusterRole", name: "edit" }, [DEVELOPERS]),
    deployment(F, ns, "core-api", { tag: "latest" }),
    deployment(F, ns, "postgres", { component: "database", port: 5432 }),
  ];
}

function appStack(env: "staging" | "production", tag = "abc1234"): ResourceLike[] {
  const labels = workloadLabels(env, "core-api", "api");
  return [
    deployment(env, env, "core-api", { tag }),
    deployment(env, env, "postgres", { component: "database", port: 5432, replicas: 1 }),
    res(env, "kubernetes:core/v1:Service", `${env}-core-api-svc`, {
      metadata: { name: "core-api", namespace: env },
      spec: { selector: { "app.kubernetes.io/name": "core-api", "app.kubernetes.io/instance": `core-api-${env}` }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    }),
    res(env, "kubernetes:core/v1:ConfigMap", `${env}-core-api-config`, { metadata: { name: "core-api-config", namespace: env }, data: { APP_ENV: env, LOG_LEVEL: "info" } }),
    res(env, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `${env}-core-api-hpa`, {
      metadata: { name: "core-api", namespace: env },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "core-api" }, minReplicas: 2, maxReplicas: 4 },
    }),
    res(env, "kubernetes:policy/v1:PodDisruptionBudget", `${env}-core-api-pdb`, {
      metadata: { name: "core-api", namespace: env, labels },
      spec: { minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "core-api", "app.kubernetes.io/instance": `core-api-${env}` } } },
    }),
    res(env, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${env}-alerts`, {
      metadata: { name: "alerts", namespace: env },
      spec: { groups: [{ name: "app", rules: [{ alert: "HighErrorRate", expr: "x > 1" }] }] },
    }),
  ];
}

function clusterStack(): ResourceLike[] {
  const C = "cluster";
  const out: ResourceLike[] = [
    namespace(C, "qa", "qa"),
    namespace(C, "staging", "staging"),
    namespace(C, "production", "production", true),
    role(C, undefined, "team-developer-read", [{ apiGroups: ["", "apps"], resources: ["pods", "pods/log", "deployments"], verbs: ["get", "list", "watch"] }]),
    binding(C, undefined, "team-developer-read", { kind: "ClusterRole", name: "team-developer-read" }, [DEVELOPERS]),
    binding(C, "qa", "qa-admin", { kind: "ClusterRole", name: "admin" }, [{ kind: "Group", name: "qa-engineers" }]),
  ];
  for (const env of ["qa", "staging", "production"]) {
    out.push(...guardrailPolicies(C, env));
    if (env !== "qa") {
      out.push(
        role(C, env, "ci-deployer", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]),
        binding(C, env, "ci-deployer", { kind: "Role", name: "ci-deployer" }, [{ kind: "ServiceAccount", name: "ci-deployer", namespace: env }]),
      );
    }
  }
  return out;
}

const mandatoryMessages = (fs: { level: string; message: string }[]) => fs.filter((f) => f.level === "mandatory").map((f) => f.message);

describe("policy rules (through unknownCheckingProxy)", () => {
  it("every rule has id, description, severity, remediation, enforcement level and config schema", () => {
    const ids = new Set<string>();
    for (const p of policies) {
      assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(!ids.has(p.name), `duplicate ${p.name}`);
      ids.add(p.name);
      assert.ok(p.description && p.severity && p.remediationSteps && p.enforcementLevel && p.configSchema, p.name);
    }
  });

  describe("staging-production-parity", () => {
    const ref = () => ({ "staging-production-parity": { referenceStackExport: writeExport("staging", appStack("staging")) } });
    it("passes when production matches staging and runs a staged tag", async () => {
      assert.deepStrictEqual(await findingsOf("staging-production-parity", appStack("production"), ref()), []);
    });
    it("passes when only the server-defaulted replica count of an HPA-managed Deployment differs", async () => {
      const prod = replace(appStack("production"), "production-core-api", (p) => (p.spec.replicas = 1));
      assert.deepStrictEqual(await findingsOf("staging-production-parity", prod, ref()), []);
    });
    it("fails when a container limit differs, naming the attribute path", async () => {
      const prod = replace(appStack("production"), "production-core-api", (p) => (p.spec.template.spec.containers[0].resources.limits.memory = "1Gi"));
      const msgs = mandatoryMessages(await findingsOf("staging-production-parity", prod, ref()));
      assert.deepStrictEqual(msgs.length, 1);
      assert.match(msgs[0], /Deployment\/core-api containers\.containers\[core-api\]\.resources\.limits\.memory: staging "256Mi" ≠ production "1Gi"/);
    });
    it("fails when a ConfigMap key, an alert or a PDB exists on one side only", async () => {
      let prod = replace(appStack("production"), "production-core-api-config", (p) => delete p.data.LOG_LEVEL);
      prod = replace(prod, "production-alerts", (p) => (p.spec.groups[0].rules[0].alert = "Other"));
      prod = prod.filter((r) => r.name !== "production-core-api-pdb");
      const text = mandatoryMessages(await findingsOf("staging-production-parity", prod, ref())).join("\n");
      assert.match(text, /ConfigMap\/core-api-config keys\[LOG_LEVEL\]: staging present ≠ production <absent>/);
      assert.match(text, /PrometheusRule\/alerts alerts\[HighErrorRate\]/);
      assert.match(text, /PodDisruptionBudget\/core-api: staging present ≠ production <absent>/);
    });
    it("fails when production runs a tag staging does not run", async () => {
      const msgs = mandatoryMessages(await findingsOf("staging-production-parity", appStack("production", "def5678"), ref()));
      assert.ok(msgs.some((m) => /runs ghcr\.io\/acme\/core-api:def5678 in production, which staging does not run/.test(m)), msgs.join("\n"));
    });
    it("passes a difference listed in allowedDeltas", async () => {
      const prod = replace(appStack("production"), "production-core-api-hpa", (p) => (p.spec.maxReplicas = 10));
      const cfg = { "staging-production-parity": { ...ref()["staging-production-parity"], allowedDeltas: ["HorizontalPodAutoscaler/*:maxReplicas"] } };
      assert.deepStrictEqual(await findingsOf("staging-production-parity", prod, cfg), []);
    });
    it("fails when no peer is in view and the backend is not to be read (policy:check)", async () => {
      const offline = { "staging-production-parity": { peerFromBackend: false, firstDeploy: true } };
      assert.match(mandatoryMessages(await findingsOf("staging-production-parity", appStack("production"), offline))[0], /cannot compare: no objects of staging/);
    });

    it("ships a first-deploy config that is staging's plus firstDeploy, and valid", () => {
      const dir = path.join(__dirname, "..", "..", "policy", "config");
      const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
      const staging = read("staging.json");
      staging["staging-production-parity"].firstDeploy = true;
      assert.deepStrictEqual(read("staging-first-deploy.json"), staging);
      loadPackConfig(path.join(dir, "staging-first-deploy.json"), policies);
    });

    describe("reading the peer through the backend (a fake pulumi CLI on PATH)", () => {
      let bin: string;
      let savedPath: string | undefined;
      let log: string[];
      let savedLog: typeof console.log;
      /** The fake CLI prints <dir>/<stack>.json for `stack export --stack <stack>`, else the real CLI's "no stack named". */
      const backendWith = (stacks: Record<string, ResourceLike[]>) => {
        for (const f of fs.readdirSync(bin)) if (f.endsWith(".json")) fs.rmSync(path.join(bin, f));
        for (const [name, rs] of Object.entries(stacks)) fs.copyFileSync(writeExport(name, rs), path.join(bin, `${name}.json`));
      };
      beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        fs.writeFileSync(
          path.join(bin, "pulumi"),
          '#!/usr/bin/env bash\nset -u\n[[ "$1 $2 $3" == "stack export --stack" ]] || { echo "fake pulumi: unexpected $*" >&2; exit 2; }\n' +
            `f="${bin}/$4.json"\n[[ -f "$f" ]] || { echo "error: no stack named '$4' found" >&2; exit 6; }\ncat "$f"\n`,
          { mode: 0o755 },
        );
        savedPath = process.env.PATH;
        process.env.PATH = `${bin}:${savedPath}`;
        forgetBackendStacks();
        log = [];
        savedLog = console.log;
        console.log = (...a: unknown[]) => void log.push(a.join(" "));
      });
      afterEach(() => {
        console.log = savedLog;
        process.env.PATH = savedPath;
        forgetBackendStacks();
        fs.rmSync(bin, { recursive: true, force: true });
      });

      it("compares with the peer stack's state and says which stack it compared with", async () => {
        backendWith({ staging: appStack("staging") });
        assert.deepStrictEqual(await findingsOf("staging-production-parity", appStack("production"), {}), []);
        assert.deepStrictEqual(log, [`staging-production-parity: compared production with stack staging (${appStack("staging").length} resources, read from the backend)`]);
      });
      it("fails on a difference with the peer read from the backend", async () => {
        backendWith({ staging: appStack("staging") });
        const prod = replace(appStack("production"), "production-core-api", (p) => (p.spec.template.spec.containers[0].resources.limits.memory = "1Gi"));
        assert.match(mandatoryMessages(await findingsOf("staging-production-parity", prod, {})).join("\n"), /limits\.memory: staging "256Mi" ≠ production "1Gi"/);
      });
      it("fails when the peer stack does not exist, pointing to firstDeploy", async () => {
        backendWith({});
        const msgs = mandatoryMessages(await findingsOf("staging-production-parity", appStack("staging"), {}));
        assert.deepStrictEqual(msgs, [
          'cannot compare: no objects of production in view (stack production does not exist in this backend); on a new installation\'s first deploy set "firstDeploy": true for this rule (no effect once production has state).',
        ]);
      });
      it("passes a new installation's first deploy while the peer has no state, and says so", async () => {
        backendWith({});
        // The cluster stack already made production's guardrails: production has objects, but no app yet.
        const first = { "staging-production-parity": { firstDeploy: true, clusterStackExport: writeExport("cluster", clusterStack()) } };
        assert.deepStrictEqual(await findingsOf("staging-production-parity", appStack("staging"), first), []);
        assert.match(log.join("\n"), /first deploy: stack production does not exist in this backend/);
      });
      it("fails when firstDeploy is left on once the peer has state: it cannot skip parity", async () => {
        const prod = replace(appStack("production"), "production-core-api", (p) => (p.spec.template.spec.containers[0].resources.limits.memory = "1Gi"));
        backendWith({ production: prod });
        const first = { "staging-production-parity": { firstDeploy: true } };
        assert.match(mandatoryMessages(await findingsOf("staging-production-parity", appStack("staging"), first)).join("\n"), /limits\.memory: staging "256Mi" ≠ production "1Gi"/);
      });
      it("fails, saying why, when the backend cannot be read; firstDeploy does not help then", async () => {
        fs.writeFileSync(path.join(bin, "pulumi"), "#!/usr/bin/env bash\necho 'error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions' >&2\nexit 255\n", { mode: 0o755 });
        const first = { "staging-production-parity": { firstDeploy: true } };
        const msgs = mandatoryMessages(await findingsOf("staging-production-parity", appStack("staging"), first));
        assert.match(msgs[0], /^cannot compare: no objects of production in view \(pulumi stack export --stack production failed \(exit 255\): error: PULUMI_ACCESS_TOKEN must be set.*\); pass its stack export as referenceStackExport\.$/);
      });
      it("treats a peer stack with no resources (never deployed, or destroyed) as no state", async () => {
        backendWith({ production: [] });
        const msgs = mandatoryMessages(await findingsOf("staging-production-parity", appStack("staging"), {}));
        assert.match(msgs[0], /\(stack production has no resources\); on a new installation's first deploy set "firstDeploy": true/);
      });
      it("prefers an explicit referenceStackExport and never asks the backend then", async () => {
        fs.writeFileSync(path.join(bin, "pulumi"), "#!/usr/bin/env bash\necho asked >&2\nexit 1\n", { mode: 0o755 });
        assert.deepStrictEqual(await findingsOf("staging-production-parity", appStack("production"), ref()), []);
        assert.deepStrictEqual(log, []);
      });
    });
  });

  describe("no-developer-write-in-locked-namespaces", () => {
    const rule = "no-developer-write-in-locked-namespaces";
    it("passes the cluster baseline (read-only developers, CI deployer in locked namespaces)", async () => {
      assert.deepStrictEqual(await findingsOf(rule, clusterStack()), []);
    });
    it("fails when developers get the built-in edit role in production", async () => {
      const rs = [...clusterStack(), binding("cluster", "production", "oops", { kind: "ClusterRole", name: "edit" }, [DEVELOPERS])];
      const text = mandatoryMessages(await findingsOf(rule, rs)).join("\n");
      assert.match(text, /Group:developers .* can .*write: .*deployments.* in production via RoleBinding production\/oops → ClusterRole edit \(built-in\)/);
      assert.match(text, /impersonate/);
    });
    it("fails when a ClusterRoleBinding grants wildcard verbs to system:authenticated", async () => {
      const rs = [
        ...clusterStack(),
        role("cluster", undefined, "patcher", [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["*"] }]),
        binding("cluster", undefined, "everyone", { kind: "ClusterRole", name: "patcher" }, [{ kind: "Group", name: "system:authenticated" }]),
      ];
      const text = mandatoryMessages(await findingsOf(rule, rs)).join("\n");
      assert.match(text, /Group:system:authenticated .* in every namespace/);
      // Anyone who can create Deployments everywhere can run pods as staging's CI deployer.
      assert.match(text, /ServiceAccount:staging\/ci-deployer \(ServiceAccount in staging, where Group:system:authenticated can run pods/);
    });
    it("fails when an aggregated ClusterRole picks up a labelled write role", async () => {
      const rs = [
        ...clusterStack(),
        role("cluster", undefined, "team-feature-developer", [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "acme/aggregate-to-dev": "true" } }] } }),
        role("cluster", undefined, "extra", [{ apiGroups: [""], resources: ["configmaps"], verbs: ["patch"] }], { labels: { "acme/aggregate-to-dev": "true" } }),
        binding("cluster", "staging", "dev", { kind: "ClusterRole", name: "team-feature-developer" }, [DEVELOPERS]),
      ];
      assert.match(mandatoryMessages(await findingsOf(rule, rs))[0], /write: patch on configmaps/);
    });
    it("passes create-only grants restricted by resourceNames, and fails the same rule with patch", async () => {
      const base = (verbs: string[]) => [
        ...clusterStack(),
        role("cluster", "staging", "named", [{ apiGroups: [""], resources: ["configmaps"], verbs, resourceNames: ["feature-flags"] }]),
        binding("cluster", "staging", "named", { kind: "Role", name: "named" }, [DEVELOPERS]),
      ];
      assert.deepStrictEqual(await findingsOf(rule, base(["create", "deletecollection"])), []);
      assert.match(mandatoryMessages(await findingsOf(rule, base(["patch"])))[0], /patch on configmaps \(core\) named feature-flags/);
    });
    it("fails when get on pods/exec is granted in staging (WebSocket exec)", async () => {
      const rs = [
        ...clusterStack(),
        role("cluster", "staging", "exec", [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["get"] }]),
        binding("cluster", "staging", "exec", { kind: "Role", name: "exec" }, [DEVELOPERS]),
      ];
      assert.match(mandatoryMessages(await findingsOf(rule, rs))[0], /exec: get on pods\/exec/);
    });
    it("fails when a ServiceAccount of a developer-run namespace can write in production", async () => {
      const rs = [
        ...clusterStack(),
        binding("cluster", F, "developers", { kind: "ClusterRole", name: "edit" }, [DEVELOPERS]),
        binding("cluster", "production", "leak", { kind: "ClusterRole", name: "edit" }, [{ kind: "ServiceAccount", name: "default", namespace: F }]),
      ];
      const text = mandatoryMessages(await findingsOf(rule, rs)).join("\n");
      assert.match(text, /ServiceAccount:feature-pr-7\/default \(ServiceAccount in feature-pr-7, where Group:developers can run pods.* in production via RoleBinding production\/leak/);
    });
    it("fails when the preview deployer (pull-request code) may read Secrets in production, naming why it counts", async () => {
      const deployer = { kind: "ServiceAccount", name: "preview-deployer", namespace: "team-ci" };
      const rs = [
        ...clusterStack(),
        role("cluster", "production", "peek", [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["ci-deployer-token"] }]),
        binding("cluster", "production", "peek", { kind: "Role", name: "peek" }, [deployer]),
      ];
      const text = mandatoryMessages(await findingsOf(rule, rs)).join("\n");
      assert.match(text, /ServiceAccount:team-ci\/preview-deployer \(runs pull-request code \(pullRequestUsers\)\) can read: get on secrets \(core\) named ci-deployer-token in production/);
      // Configured away (a team whose previews run trusted code only), the same grant is no developer path.
      assert.deepStrictEqual(mandatoryMessages(await findingsOf(rule, rs, { [rule]: { pullRequestUsers: [] } })), []);
    });
    it("fails when the bound role is not in view (unprovable), and passes once the cluster export supplies it", async () => {
      const feature = [binding("staging", "staging", "dev", { kind: "ClusterRole", name: "team-reader" }, [DEVELOPERS])];
      assert.match(mandatoryMessages(await findingsOf(rule, feature))[0], /unprovable/);
      const cluster = writeExport("cluster", [role("cluster", undefined, "team-reader", [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }])]);
      assert.deepStrictEqual(await findingsOf(rule, feature, { [rule]: { clusterStackExport: cluster } }), []);
    });
    it("fails when a RoleBinding's namespace is unknown at preview (could be locked), instead of going silent", async () => {
      const rs = [binding(F, UNKNOWN_STRING, "developers", { kind: "ClusterRole", name: "edit" }, [DEVELOPERS])];
      const fs = await findingsOf(rule, rs);
      assert.ok(fs.some((f) => f.level === "mandatory" && /in <unknown>/.test(f.message)), JSON.stringify(fs));
      assert.ok(!fs.some((f) => /can't run/.test(f.message)));
    });
  });

  describe("rbac-visibility", () => {
    it("passes when aggregated roles' sources are in view", async () => {
      assert.deepStrictEqual(await findingsOf("rbac-visibility", clusterStack()), []);
    });
    it("fails (advisory) when an aggregated ClusterRole's sources are not in view", async () => {
      const rs = [role("cluster", undefined, "agg", [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: "y" } }] } })];
      const fs = await findingsOf("rbac-visibility", rs);
      assert.strictEqual(fs[0].level, "advisory");
      assert.match(fs[0].message, /ClusterRole agg aggregates roles .* none is in view/);
    });
  });

  describe("network-isolation", () => {
    const rule = "network-isolation";
    it("passes the cluster baseline and the feature baseline", async () => {
      assert.deepStrictEqual(await findingsOf(rule, clusterStack()), []);
      assert.deepStrictEqual(await findingsOf(rule, featureStack()), []);
    });
    it("fails when production loses its default-deny policy", async () => {
      const rs = clusterStack().filter((r) => r.name !== "production-default-deny" && r.name !== "production-allow-same-namespace");
      const text = mandatoryMessages(await findingsOf(rule, rs)).join("\n");
      assert.match(text, /namespace production is not default-deny for Ingress/);
      assert.match(text, /any pod in feature-pr-0 can reach postgres pod in production/);
    });
    it("fails when DNS egress is missing", async () => {
      const rs = featureStack().filter((r) => r.name !== `${F}-allow-dns`);
      assert.match(mandatoryMessages(await findingsOf(rule, rs))[0], /\[dns\] Deployment feature-pr-7\/core-api cannot reach DNS/);
    });
    it("fails when staging admits database ingress by pod label from any namespace (labels are free in feature namespaces)", async () => {
      const rs = [
        ...clusterStack(),
        netpol("cluster", "staging", "db-from-api", {
          podSelector: { matchLabels: { "app.kubernetes.io/component": "database" } },
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "core-api" } } }], ports: [{ port: 5432 }] }],
        }),
      ];
      assert.match(mandatoryMessages(await findingsOf(rule, rs)).join("\n"), /any pod in feature-pr-0 can reach postgres pod in staging .* on 5432\/TCP \(egress: policies of feature-pr-0 not in view; ingress: NetworkPolicy staging\/db-from-api\)/);
    });
    it("reads namespaceSelector+podSelector in one peer as AND, and as separate peers as OR", () => {
      const peers = (and: boolean) =>
        and
          ? [{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }]
          : [{ namespaceSelector: {} }, { podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }];
      const verdict = (and: boolean) => {
        const model = readNetwork([
          ...clusterStack(),
          netpol("cluster", "staging", "scrape", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: peers(and) }] }),
        ]);
        const net = new Network(model);
        const api = { namespace: "qa", labels: workloadLabels("qa", "core-api", "api"), ports: [], name: "qa core-api", adversarial: false };
        const db = model.pods.find((p) => p.namespace === "staging" && p.component === "database");
        return net.ingress(api, db!, 5432, "TCP").allowed;
      };
      assert.strictEqual(verdict(true), false);
      assert.strictEqual(verdict(false), true);
    });
    it("fails when an allow-all rule sits beside production's default-deny (policies are a union)", async () => {
      for (const [what, spec] of [
        ["ingress: [{}]", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] }],
        ["egress: [{}]", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] }],
        ["ipBlock 0.0.0.0/0", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] }],
        ["ipBlock 10.0.0.0/8 excepting addresses outside the pod CIDR", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.0/16"] } }] }] }],
      ] as const) {
        const text = mandatoryMessages(await findingsOf(rule, [...clusterStack(), netpol("cluster", "production", "open", spec)])).join("\n");
        assert.match(text, /namespace production is not default-deny for (Ingress|Egress): NetworkPolicy open has a rule that allows every pod on every port/, what);
      }
      // Narrower than every pod: a block that leaves pod addresses out, or one port only, is judged cell by cell instead.
      for (const [what, spec] of [
        ["ipBlock excepting part of the pod CIDR", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.42.0.0/17"] } }] }] }],
        ["ipBlock outside the pod CIDR", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "192.168.0.0/16" } }] }] }],
        ["one port", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 443 }] }] }],
      ] as const) {
        const text = mandatoryMessages(await findingsOf(rule, [...clusterStack(), netpol("cluster", "production", "narrow", spec)])).join("\n");
        assert.doesNotMatch(text, /NetworkPolicy narrow has a rule that allows every pod/, what);
      }
    });
    it("counts a namespace selector on a label a preview can set for itself as admitting previews; pinned labels hold", async () => {
      const admit = (namespaceSelector: object) =>
        netpol("cluster", "production", "from-team", {
          podSelector: {},
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ namespaceSelector }], ports: [{ port: 5432 }] }],
        });
      const leaks = async (sel: object) => mandatoryMessages(await findingsOf(rule, [...clusterStack(), admit(sel)])).join("\n");
      assert.match(await leaks({ matchLabels: { team: "payments" } }), /any pod in feature-pr-0 can reach postgres pod in production/);
      assert.match(await leaks({ matchExpressions: [{ key: "trusted", operator: "Exists" }] }), /any pod in feature-pr-0 can reach postgres pod in production/);
      // The kind label and the name are pinned (admission policy, API server): no preview matches these.
      assert.doesNotMatch(await leaks({ matchLabels: { "team-environments.dev/kind": "staging" } }), /feature-pr-0 can reach/);
      assert.doesNotMatch(await leaks({ matchLabels: { "kubernetes.io/metadata.name": "staging", team: "payments" } }), /feature-pr-0 can reach/);
    });
    it("judges an environment not in view with the labels the program gives its namespace, not an unlabelled stand-in", () => {
      // Production admits database traffic from this application's Pulumi-managed namespaces: on
      // a cluster staging's pods match, so they must match here too, though staging is not in view.
      const rs = [
        namespace("production", "production", "production", true),
        ...guardrailPolicies("production", "production"),
        deployment("production", "production", "postgres", { component: "database", port: 5432 }),
        netpol("production", "production", "from-app", {
          podSelector: {},
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { "app.kubernetes.io/part-of": "myapp", "app.kubernetes.io/managed-by": "pulumi" } } }], ports: [{ port: 5432 }] }],
        }),
      ];
      const model = readNetwork(rs);
      const net = new Network(model);
      const db = model.pods.find((p) => p.namespace === "production" && p.component === "database")!;
      const fromStaging = model.pods.find((p) => p.namespace === "staging" && p.component === "api")!;
      assert.ok(!model.visible.has("staging") && fromStaging, "staging is a stand-in with its conventional pods");
      assert.strictEqual(net.reach(fromStaging, db, 5432)?.allowed, true);
      // Another application's namespaces do not match.
      const other = new Network(readNetwork(rs, { appName: "billing" }), { appName: "billing" });
      const stagingOther = other.model.pods.find((p) => p.namespace === "staging" && p.component === "api")!;
      assert.strictEqual(other.reach(stagingOther, other.model.pods.find((p) => p.namespace === "production" && p.component === "database")!, 5432)?.allowed, false);
    });
    it("reads a dual-stack pod CIDR by its IPv4 block, and one it cannot read as all of IPv4", () => {
      const rule = (cidr: string, except: string[] = []) => ({ peers: [{ ipBlock: { cidr, except }, unknown: false }], ports: "all" as const });
      const dualStack = "10.42.0.0/16, 2001:cafe:42::/56";
      assert.strictEqual(allowsEverything(rule("10.0.0.0/8"), dualStack), true);
      assert.strictEqual(allowsEverything(rule("0.0.0.0/0", ["10.42.0.0/16"]), dualStack), false);
      assert.strictEqual(allowsEverything(rule("10.43.0.0/16"), dualStack), false);
      const unreadable = "2001:cafe:42::/56";
      assert.strictEqual(allowsEverything(rule("0.0.0.0/0"), unreadable), true);
      assert.strictEqual(allowsEverything(rule("10.0.0.0/8"), unreadable), false);
    });
    it("fails when an ipBlock covering the pod CIDR opens database ingress, and passes when excepted", async () => {
      const block = (except: string[]) =>
        netpol("cluster", "production", "internet", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0", except } }] }] });
      assert.match(mandatoryMessages(await findingsOf(rule, [...clusterStack(), block([])])).join("\n"), /can reach postgres pod in production/);
      assert.deepStrictEqual(await findingsOf(rule, [...clusterStack(), block(["10.0.0.0/8"])]), []);
    });
  });

  describe("best practices", () => {
    const staging = () => appStack("staging");
    it("workload-probes passes with probes, and fails when readinessProbe is missing", async () => {
      assert.deepStrictEqual(await findingsOf("workload-probes", staging()), []);
      const rs = replace(staging(), "staging-core-api", (p) => delete p.spec.template.spec.containers[0].readinessProbe);
      assert.match((await findingsOf("workload-probes", rs))[0].message, /container core-api has no readinessProbe/);
    });
    it("workload-resources passes with requests and limits, and fails when limits.cpu is missing", async () => {
      assert.deepStrictEqual(await findingsOf("workload-resources", staging()), []);
      const rs = replace(staging(), "staging-core-api", (p) => delete p.spec.template.spec.containers[0].resources.limits.cpu);
      assert.match((await findingsOf("workload-resources", rs))[0].message, /no resources\.limits\.cpu/);
    });
    it("image-tag-pinned passes pinned tags and latest in feature namespaces, and fails when staging runs latest", async () => {
      assert.deepStrictEqual(await findingsOf("image-tag-pinned", [...staging(), ...featureStack()]), []);
      assert.match((await findingsOf("image-tag-pinned", appStack("staging", "latest")))[0].message, /moving tag "latest"/);
      const untagged = replace(staging(), "staging-core-api", (p) => (p.spec.template.spec.containers[0].image = "ghcr.io/acme/core-api"));
      assert.match((await findingsOf("image-tag-pinned", untagged))[0].message, /has no tag/);
    });
    it("run-as-non-root passes runAsNonRoot, and fails when runAsUser is 0 or nothing forbids root", async () => {
      assert.deepStrictEqual(await findingsOf("run-as-non-root", staging()), []);
      const root = replace(staging(), "staging-core-api", (p) => (p.spec.template.spec.containers[0].securityContext.runAsUser = 0));
      assert.match((await findingsOf("run-as-non-root", root))[0].message, /runAsUser 0/);
      const none = replace(staging(), "staging-core-api", (p) => delete p.spec.template.spec.securityContext);
      assert.match((await findingsOf("run-as-non-root", none))[0].message, /may run as root/);
    });
    it("pdb-allows-disruption passes HPA minReplicas 2 over minAvailable 1, and fails at minReplicas 1 or replicas = minAvailable", async () => {
      assert.deepStrictEqual(await findingsOf("pdb-allows-disruption", staging()), []);
      const low = replace(staging(), "staging-core-api-hpa", (p) => (p.spec.minReplicas = 1));
      assert.match((await findingsOf("pdb-allows-disruption", low))[0].message, /minReplicas 1 < 1 \+ 1/);
      const noHpa = replace(staging().filter((r) => r.name !== "staging-core-api-hpa"), "staging-core-api", (p) => (p.spec.replicas = 1));
      assert.match((await findingsOf("pdb-allows-disruption", noHpa))[0].message, /replicas 1 < 1 \+ 1/);
    });
    it("hpa-owns-replicas passes without spec.replicas, and fails when an HPA-managed Deployment sets it", async () => {
      assert.deepStrictEqual(await findingsOf("hpa-owns-replicas", staging()), []);
      const rs = replace(staging(), "staging-core-api", (p) => (p.spec.replicas = 3));
      assert.match((await findingsOf("hpa-owns-replicas", rs))[0].message, /sets spec\.replicas 3 but HorizontalPodAutoscaler staging\/core-api scales it/);
    });
    it("hpa-owns-replicas and pdb-allows-disruption pass when only the API server defaulted spec.replicas (server-side apply)", async () => {
      const managed = (manager: string, fields: Record<string, unknown>) => ({ manager, operation: "Apply", fieldsType: "FieldsV1", fieldsV1: fields });
      const defaulted = replace(staging(), "staging-core-api", (p) => {
        p.spec.replicas = 1;
        p.metadata.managedFields = [managed("pulumi-kubernetes-2b4f1a", { "f:spec": { "f:selector": {}, "f:template": {} } })];
      });
      assert.deepStrictEqual(await findingsOf("hpa-owns-replicas", defaulted), []);
      assert.deepStrictEqual(await findingsOf("pdb-allows-disruption", defaulted), []);
      const owned = replace(staging(), "staging-core-api", (p) => {
        p.spec.replicas = 1;
        p.metadata.managedFields = [managed("pulumi-kubernetes-2b4f1a", { "f:spec": { "f:replicas": {}, "f:template": {} } })];
      });
      assert.match((await findingsOf("hpa-owns-replicas", owned))[0].message, /sets spec\.replicas 1/);
    });
    it("feature-namespace-guardrails passes with quota and LimitRange, and fails when the LimitRange is missing", async () => {
      assert.deepStrictEqual(await findingsOf("feature-namespace-guardrails", featureStack()), []);
      const rs = featureStack().filter((r) => r.name !== `${F}-limits`);
      assert.match((await findingsOf("feature-namespace-guardrails", rs))[0].message, /namespace feature-pr-7 has no LimitRange/);
    });
    it("production-namespace-protected passes a protected namespace, and fails when protect is off", async () => {
      assert.deepStrictEqual(await findingsOf("production-namespace-protected", clusterStack()), []);
      const rs = clusterStack().map((r) => (r.name === "production" ? { ...r, opts: { protect: false } } : r));
      assert.match((await findingsOf("production-namespace-protected", rs))[0].message, /namespace production is not protected/);
    });
    it("data-refresh-anonymised passes --anonymize-pii in staging, and fails without it or outside staging", async () => {
      const job = (ns: string, args: string[]) =>
        res("staging", "kubernetes:batch/v1:CronJob", `${ns}-refresh`, {
          metadata: { name: "data-refresh", namespace: ns },
          spec: {
            schedule: "0 3 * * *",
            jobTemplate: {
              spec: { template: { metadata: { labels: workloadLabels(ns, "data-refresh", "data-refresh") }, spec: { containers: [{ name: "refresh", image: "x:1", args }] } } },
            },
          },
        });
      assert.deepStrictEqual(await findingsOf("data-refresh-anonymised", [job("staging", ["--anonymize-pii"])]), []);
      assert.match((await findingsOf("data-refresh-anonymised", [job("staging", [])]))[0].message, /without anonymising/);
      assert.match((await findingsOf("data-refresh-anonymised", [job("qa", ["--anonymize-pii"])]))[0].message, /refreshes data into qa/);
    });
  });

  describe("preview (unknown values)", () => {
    it("does not crash or go silent when an image or a label is unknown", async () => {
      const rs = replace(appStack("staging"), "staging-core-api", (p) => {
        p.spec.template.spec.containers[0].image = UNKNOWN_STRING;
        p.spec.template.metadata.labels["app.kubernetes.io/version"] = UNKNOWN_STRING;
      });
      for (const rule of ["image-tag-pinned", "workload-probes", "pdb-allows-disruption", "network-isolation"]) {
        const fs = await findingsOf(rule, rs);
        assert.ok(!fs.some((f) => /can't run/.test(f.message)), `${rule}: ${JSON.stringify(fs)}`);
      }
    });
  });
  void byName;
  void props;
});
