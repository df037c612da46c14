import * as assert from "assert";
import { readFileSync } from "fs";
import { join } from "path";
import { APP_STACK_RESOURCES, CI_OIDC_USERNAME_EXPRESSION, ciOidcUser, DEVELOPER_READ_RULES, FEATURE_DEVELOPER_RULES, QA_ADMIN_RULES, ROLE_NAMES, WRITE_VERBS } from "../rbac/rules";
import { accessSummary, allows, evaluateRbac, readRbac } from "../policy/analysis/rbac";
import { readFences } from "../policy/analysis/fences";
import { ResourceLike } from "../policy/analysis/objects";
import { find, ofType, ProgramRun, resolvedExports, runProgram } from "./support/program";

const NAMESPACES = ["feature-pr-142", "qa", "staging", "production", "monitoring"];
const LOCKED = ["staging", "production"];
const RBAC = "rbac.authorization.k8s.io";

function asResources(...runs: ProgramRun[]): ResourceLike[] {
  return runs.flatMap((run) =>
    run.resources.filter((r) => r.custom).map((r) => ({ type: r.type, urn: r.urn, name: r.name, props: r.inputs, opts: { protect: r.protect } })),
  );
}

/** The access table: subject → namespace → sorted verbs. */
function accessTable(resources: ResourceLike[], subjects: Record<string, { kind: string; name: string; namespace?: string }>) {
  const model = readRbac(resources);
  const table: Record<string, Record<string, string[]>> = {};
  for (const [label, subject] of Object.entries(subjects)) {
    table[label] = {};
    for (const ns of NAMESPACES) table[label][ns] = [...accessSummary(model, subject, ns).verbs].sort();
  }
  return table;
}

describe("access control", function () {
  this.timeout(60000);
  let cluster: ProgramRun;
  let feature: ProgramRun;
  let staging: ProgramRun;
  before(async () => {
    cluster = await runProgram("cluster");
    feature = await runProgram("feature-pr-142");
    staging = await runProgram("staging");
  });

  describe("roles", () => {
    it("developers read workloads, logs, events and config everywhere, never Secrets", () => {
      const role = find(cluster, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", ROLE_NAMES.developerRead);
      assert.deepStrictEqual(role.inputs.rules, DEVELOPER_READ_RULES);
      for (const rule of DEVELOPER_READ_RULES) {
        assert.deepStrictEqual(rule.verbs, ["get", "list", "watch"]);
        assert.ok(!rule.resources.includes("secrets") && !rule.resources.includes("*") && !rule.apiGroups.includes("*"));
      }
      const binding = find(cluster, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", ROLE_NAMES.developerRead);
      assert.deepStrictEqual(binding.inputs.subjects, [{ kind: "Group", name: "developers", apiGroup: RBAC }]);
    });

    it("binds nothing else cluster-wide to developers", () => {
      const developerBindings = ofType(cluster, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").filter((b) =>
        b.inputs.subjects.some((s: any) => s.kind === "Group" && s.name === "developers"),
      );
      assert.deepStrictEqual(developerBindings.map((b) => b.inputs.metadata.name), [ROLE_NAMES.developerRead]);
    });

    it("gives developers explicit debugging rights in their preview, pods/exec included", () => {
      const role = find(cluster, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", ROLE_NAMES.featureDeveloper);
      assert.deepStrictEqual(role.inputs.rules, FEATURE_DEVELOPER_RULES);
      assert.ok(FEATURE_DEVELOPER_RULES.some((r) => r.resources.includes("pods/exec") && r.verbs.includes("create")));
      for (const r of FEATURE_DEVELOPER_RULES) assert.ok(!r.verbs.includes("*") && !r.resources.includes("*") && !r.resources.includes("secrets"));
    });

    it("gives QA an admin Role in qa only, bound to the QA group", () => {
      const role = find(cluster, "kubernetes:rbac.authorization.k8s.io/v1:Role", ROLE_NAMES.qaAdmin, "qa");
      assert.deepStrictEqual(role.inputs.rules, QA_ADMIN_RULES);
      const rb = find(cluster, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", ROLE_NAMES.qaAdmin, "qa");
      assert.deepStrictEqual(rb.inputs.subjects, [{ kind: "Group", name: "qa-engineers", apiGroup: RBAC }]);
    });

    it("takes group and user names from config", async () => {
      const run = await runProgram("cluster", { developerGroups: ["eng"], developerUsers: ["alice"], qaGroups: ["testers"] });
      const binding = find(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", ROLE_NAMES.developerRead);
      assert.deepStrictEqual(binding.inputs.subjects.map((s: any) => `${s.kind}:${s.name}`), ["Group:eng", "User:alice"]);
      const rb = find(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", ROLE_NAMES.qaAdmin, "qa");
      assert.deepStrictEqual(rb.inputs.subjects.map((s: any) => s.name), ["testers"]);
    });

    it("with ciOidcRepository, binds each deployer Role to its GitHub OIDC user too, as the API server maps it", async () => {
      const run = await runProgram("cluster", { ciOidcRepository: "acme/shop" });
      const resources = asResources(run);
      const model = readRbac(resources);
      for (const env of ["qa", "staging", "production"]) {
        const rb = find(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", `${ROLE_NAMES.deployer}-oidc`, env);
        assert.deepStrictEqual(rb.inputs.subjects, [{ kind: "User", name: `github:acme/shop:${env}`, apiGroup: RBAC }]);
        const job = { user: ciOidcUser("acme/shop", env), groups: ["system:authenticated"] };
        for (const ns of ["qa", "staging", "production"]) {
          assert.strictEqual(allows(model, job, "patch", "apps", "deployments", ns), ns === env, `${env} job in ${ns}`);
        }
        assert.strictEqual(allows(model, { user: `github:other/repo:${env}`, groups: ["system:authenticated"] }, "patch", "apps", "deployments", env), false);
      }
      assert.deepStrictEqual(evaluateRbac(model, { fences: readFences(resources) }).findings, []);
      const out = await resolvedExports(run);
      assert.match(String(out.ciCredentials.production), /^GitHub OIDC user github:acme\/shop:production \(no secret; fallback: /);
      // The local control plane maps tokens with the same expression.
      assert.ok(readFileSync(join(__dirname, "..", "scripts", "cluster.sh"), "utf8").includes(`OIDC_USERNAME_EXPRESSION="${CI_OIDC_USERNAME_EXPRESSION}"`));
    });

    it("derives each CI deployer's Role from exactly what the app stack manages", () => {
      const kinds = new Set(
        staging.resources
          .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
          .map((r) => r.type.replace(/^kubernetes:/, "")),
      );
      const managed = new Set(APP_STACK_RESOURCES.map((m) => `${m.apiGroup}/${m.resource}`));
      const plural: Record<string, string> = {
        "core/v1:ConfigMap": "/configmaps",
        "core/v1:Secret": "/secrets",
        "core/v1:Service": "/services",
        "apps/v1:Deployment": "apps/deployments",
        "apps/v1:StatefulSet": "apps/statefulsets",
        "batch/v1:Job": "batch/jobs",
        "batch/v1:CronJob": "batch/cronjobs",
        "autoscaling/v2:HorizontalPodAutoscaler": "autoscaling/horizontalpodautoscalers",
        "policy/v1:PodDisruptionBudget": "policy/poddisruptionbudgets",
        "monitoring.coreos.com/v1:PrometheusRule": "monitoring.coreos.com/prometheusrules",
        "traefik.io/v1alpha1:IngressRoute": "traefik.io/ingressroutes",
        "traefik.io/v1alpha1:Middleware": "traefik.io/middlewares",
      };
      const used = new Set([...kinds].map((k) => plural[k] ?? `unmapped ${k}`));
      // networking.k8s.io/ingresses is managed when ingressKind=ingress.
      assert.deepStrictEqual([...managed].filter((m) => !used.has(m)), ["networking.k8s.io/ingresses"]);
      assert.deepStrictEqual([...used].filter((u) => !managed.has(u)), [], "every kind the stack creates is in the deployer Role");
      for (const env of ["qa", "staging", "production"]) {
        const role = find(cluster, "kubernetes:rbac.authorization.k8s.io/v1:Role", ROLE_NAMES.deployer, env);
        for (const rule of role.inputs.rules) {
          assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*") && !rule.apiGroups.includes("*"));
          assert.ok(!rule.apiGroups.includes(RBAC), "the deployer cannot change RBAC");
        }
      }
    });

    it("the drift identity reads every kind the long-lived stacks own, writes nothing and reads no Secret", async () => {
      const runs = [cluster, staging, await runProgram("qa"), await runProgram("production")];
      const model = readRbac(asResources(cluster));
      const drift = { user: "system:serviceaccount:team-ci:drift-reader", groups: ["system:serviceaccounts", "system:serviceaccounts:team-ci", "system:authenticated"] };
      const plural = (kind: string) => kind.toLowerCase().replace(/y$/, "ie").replace(/s$/, "se") + "s";
      const owned = new Map<string, { group: string; resource: string; namespaces: Set<string> }>();
      for (const r of runs.flatMap((run) => run.resources)) {
        const m = /^kubernetes:([^/]+)\/[^:]+:(\w+)$/.exec(r.type);
        if (!m || !r.custom) continue;
        const group = m[1] === "core" ? "" : m[1];
        const key = `${group}/${m[2]}`;
        const entry = owned.get(key) ?? { group, resource: plural(m[2]), namespaces: new Set<string>() };
        entry.namespaces.add(r.inputs.metadata?.namespace ?? "");
        owned.set(key, entry);
      }
      assert.ok(owned.size >= 20, [...owned.keys()].join(", "));
      for (const [key, k] of owned) {
        for (const ns of k.namespaces) {
          // Cluster-scoped kinds: only cluster-wide grants count.
          const where = ns === "" ? "*" : ns;
          for (const verb of ["get", "list", "watch"]) {
            assert.strictEqual(allows(model, drift, verb, k.group, k.resource, where), k.resource !== "secrets", `${verb} ${key} in ${ns || "(cluster)"}`);
          }
          for (const verb of WRITE_VERBS) assert.strictEqual(allows(model, drift, verb, k.group, k.resource, where), false, `${verb} ${key}`);
        }
      }
      assert.ok(owned.has("/Secret"), "the stacks own Secrets, which the drift identity cannot read");
      for (const ns of ["qa", ...LOCKED, "monitoring", "team-ci"]) assert.strictEqual(allows(model, drift, "get", "", "secrets", ns), false, ns);
      assert.strictEqual(allows(model, drift, "create", "", "pods/exec", "production"), false);
      assert.strictEqual(allows(model, drift, "impersonate", "", "serviceaccounts", "production"), false);
    });

    it("fences the preview deployer to feature namespaces with an admission policy", () => {
      const vap = find(cluster, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "team-preview-deployer-fence");
      assert.match(vap.inputs.spec.matchConditions[0].expression, /system:serviceaccount:team-ci:preview-deployer/);
      // Keyed on the immutable namespace name, never on a label the deployer could change.
      assert.match(vap.inputs.spec.validations[0].expression, /matches\('\^feature-pr-/);
      assert.doesNotMatch(vap.inputs.spec.validations[0].expression, /labels/);
      const binding = find(cluster, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding", "team-preview-deployer-fence");
      assert.deepStrictEqual(binding.inputs.spec.validationActions, ["Deny"]);
    });

    it("the preview deployer reads no Secret cluster-wide: each preview grants it its own Secrets", () => {
      const role = find(cluster, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", ROLE_NAMES.previewDeployer);
      for (const rule of role.inputs.rules) {
        if (rule.apiGroups.includes("")) assert.ok(!rule.resources.includes("secrets"), JSON.stringify(rule));
      }
      const bindable = role.inputs.rules.find((r: { verbs: string[] }) => r.verbs.includes("bind"));
      assert.deepStrictEqual(bindable.resourceNames, [ROLE_NAMES.featureDeveloper, ROLE_NAMES.previewDeployerSecrets]);
      const binding = find(feature, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "preview-deployer-secrets", "feature-pr-142");
      assert.deepStrictEqual(binding.inputs.roleRef, { apiGroup: RBAC, kind: "ClusterRole", name: ROLE_NAMES.previewDeployerSecrets });
      assert.deepStrictEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "preview-deployer", namespace: "team-ci" }]);
      const model = readRbac(asResources(cluster, feature));
      const deployer = { user: "system:serviceaccount:team-ci:preview-deployer", groups: ["system:serviceaccounts", "system:serviceaccounts:team-ci", "system:authenticated"] };
      assert.strictEqual(allows(model, deployer, "get", "", "secrets", "feature-pr-142"), true);
      for (const ns of ["qa", ...LOCKED, "monitoring", "team-ci", "kube-system"]) assert.strictEqual(allows(model, deployer, "get", "", "secrets", ns), false, ns);
    });
  });

  describe("the access table computed from the stacks' RBAC objects", () => {
    let table: Record<string, Record<string, string[]>>;
    before(() => {
      table = accessTable(asResources(cluster, feature), {
        developers: { kind: "Group", name: "developers" },
        qa: { kind: "Group", name: "qa-engineers" },
        "ci qa": { kind: "ServiceAccount", name: "ci-deployer", namespace: "qa" },
        "ci staging": { kind: "ServiceAccount", name: "ci-deployer", namespace: "staging" },
        "ci production": { kind: "ServiceAccount", name: "ci-deployer", namespace: "production" },
      });
    });
    const writes = (verbs: string[]) => verbs.filter((v) => WRITE_VERBS.includes(v));

    it("developers: write in their preview, read-only everywhere else", () => {
      assert.deepStrictEqual(writes(table.developers["feature-pr-142"]), ["create", "delete", "patch", "update"]);
      for (const ns of ["qa", ...LOCKED, "monitoring"]) assert.deepStrictEqual(table.developers[ns], ["get", "list", "watch"], ns);
    });

    it("QA: write in qa, nothing in staging or production", () => {
      assert.ok(writes(table.qa.qa).length >= 4);
      for (const ns of LOCKED) assert.deepStrictEqual(table.qa[ns], [], ns);
    });

    it("each CI deployer writes only in its own environment", () => {
      for (const env of ["qa", "staging", "production"]) {
        for (const ns of NAMESPACES) {
          const w = writes(table[`ci ${env}`][ns]);
          if (ns === env) assert.deepStrictEqual(w, ["create", "delete", "patch", "update"], `${env} in ${ns}`);
          else assert.deepStrictEqual(w, [], `${env} in ${ns}`);
        }
      }
    });

    it("answers single SubjectAccessReview-style cells", () => {
      const model = readRbac(asResources(cluster, feature));
      const dev = { user: "dev1", groups: ["developers", "system:authenticated"] };
      const ci = (ns: string) => ({ user: `system:serviceaccount:${ns}:ci-deployer`, groups: ["system:serviceaccounts"] });
      assert.strictEqual(allows(model, dev, "create", "", "pods/exec", "feature-pr-142"), true);
      assert.strictEqual(allows(model, dev, "create", "", "pods/exec", "production"), false);
      assert.strictEqual(allows(model, dev, "get", "apps", "deployments", "production"), true);
      assert.strictEqual(allows(model, dev, "get", "", "secrets", "feature-pr-142"), false);
      assert.strictEqual(allows(model, ci("staging"), "patch", "apps", "deployments", "staging"), true);
      assert.strictEqual(allows(model, ci("staging"), "patch", "apps", "deployments", "production"), false);
      assert.strictEqual(allows(model, ci("staging"), "create", "rbac.authorization.k8s.io", "rolebindings", "staging"), false);
    });

    it("the policy pack's evaluator finds no developer path into staging or production", () => {
      const resources = asResources(cluster, feature, staging);
      const verdict = evaluateRbac(readRbac(resources), { fences: readFences(resources) });
      assert.deepStrictEqual(verdict.findings, []);
    });

    it("fails when a RoleBinding grants developers edit in production (the guard works)", () => {
      const bad: ResourceLike = {
        type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        urn: "urn:pulumi:production::team-environments::kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::oops",
        name: "oops",
        props: {
          metadata: { name: "oops", namespace: "production" },
          roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "edit" },
          subjects: [{ kind: "Group", name: "developers", apiGroup: RBAC }],
        },
      };
      const verdict = evaluateRbac(readRbac([...asResources(cluster), bad]));
      assert.ok(verdict.findings.some((f) => f.namespace === "production" && f.subject === "Group:developers"));
    });
  });
});
