import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { LocalError, ROOT } from "../scripts/local/env";
import { requiredSecrets } from "../scripts/local/stacks";
import { LABEL } from "../policy/conventions";
import { ALERT_NAMES } from "../monitoring/alerts";
import { isWireSecret } from "./support/mocks";
import { defaultOverrides, find, ofType, ProgramRun, resolvedExports, runProgram, stackConfig } from "./support/program";

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  quota: "kubernetes:core/v1:ResourceQuota",
  limitRange: "kubernetes:core/v1:LimitRange",
  ingressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  rule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  password: "random:index/randomPassword:RandomPassword",
};
const SERVICES = ["pwa", "api-gateway", "core-api", "auth"];

const runs: Record<string, ProgramRun> = {};
async function stack(name: string): Promise<ProgramRun> {
  runs[name] ??= await runProgram(name);
  return runs[name];
}

function container(deployment: { inputs: Record<string, any> }) {
  return deployment.inputs.spec.template.spec.containers[0];
}

describe("stacks", function () {
  this.timeout(60000);

  for (const name of ["cluster", "qa", "staging", "production", "feature-pr-142"]) {
    describe(`every ${name} object`, () => {
      it("carries the recommended labels and the environment label", async () => {
        const run = await stack(name);
        const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
        assert.ok(objects.length > 10);
        for (const r of objects) {
          const labels = r.inputs.metadata?.labels ?? {};
          assert.strictEqual(labels["app.kubernetes.io/managed-by"], "pulumi", `${r.type} ${r.name}`);
          assert.strictEqual(labels["app.kubernetes.io/part-of"], "myapp", `${r.type} ${r.name}`);
          assert.ok(labels[LABEL.environment], `${r.type} ${r.name} has no environment label`);
        }
      });

      it("is parented to a component, never to the stack", async () => {
        const run = await stack(name);
        const components = new Set(run.resources.filter((r) => !r.custom).map((r) => r.urn));
        for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
          assert.ok(r.parent && components.has(r.parent), `${r.type} ${r.name} parent ${r.parent}`);
        }
      });
    });
  }

  describe("workloads in every application environment", () => {
    for (const name of ["qa", "staging", "production", "feature-pr-142"]) {
      it(`${name}: each service has probes, limits, a restricted securityContext, a Service and a ConfigMap`, async () => {
        const run = await stack(name);
        for (const svc of SERVICES) {
          const d = find(run, T.deployment, svc, name);
          const c = container(d);
          assert.strictEqual(c.image, `ghcr.io/yourorg/myapp/${svc}:${name.startsWith("feature") ? "9b1d3c7" : "3f9c2a1e"}`);
          assert.ok(c.readinessProbe.httpGet.path && c.livenessProbe.httpGet.path);
          assert.ok(c.resources.requests.cpu && c.resources.limits.memory);
          assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false);
          assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] });
          assert.strictEqual(d.inputs.spec.template.spec.securityContext.runAsNonRoot, true);
          assert.strictEqual(c.securityContext.readOnlyRootFilesystem, svc !== "auth", "auth writes to disk");
          assert.deepStrictEqual(d.inputs.spec.selector.matchLabels, {
            "app.kubernetes.io/name": svc,
            "app.kubernetes.io/instance": `${svc}-${name}`,
          });
          const s = find(run, T.service, svc, name);
          assert.deepStrictEqual(s.inputs.spec.selector, d.inputs.spec.selector.matchLabels);
          const cm = find(run, T.configMap, `${svc}-config`, name);
          assert.deepStrictEqual(c.envFrom[0], { configMapRef: { name: `${svc}-config` } });
          assert.ok(cm.inputs.data.APP_ENV);
        }
      });
    }

    for (const name of ["feature-pr-142", "staging", "production"]) {
      it(`${name}: a Service skips only the endpoint wait, and selects the pods of a workload that up awaits to Ready`, async () => {
        const run = await stack(name);
        const workloads = [...ofType(run, T.deployment), ...ofType(run, T.statefulSet)];
        const services = ofType(run, T.service).filter((svc) => svc.inputs.spec.selector !== undefined);
        assert.ok(services.length >= 5, `${services.length} Services with a selector`);
        for (const svc of services) {
          assert.deepStrictEqual(svc.inputs.metadata.annotations, { "pulumi.com/skipAwait": "true" }, svc.name);
          const backing = workloads.filter(
            (w) =>
              w.inputs.metadata.namespace === svc.inputs.metadata.namespace &&
              w.inputs.metadata.annotations?.["pulumi.com/skipAwait"] === undefined &&
              Object.entries(svc.inputs.spec.selector).every(([k, v]) => w.inputs.spec.template.metadata.labels[k] === v),
          );
          assert.strictEqual(backing.length, 1, `${svc.name} selects the pods of exactly one awaited workload`);
        }
      });
    }

    it("runs the migrations Job to completion before the Deployment rolls out", async () => {
      const run = await stack("staging");
      for (const svc of ["core-api", "auth"]) {
        const job = ofType(run, T.job).find((j) => j.inputs.metadata.name.startsWith(`${svc}-migrate-`));
        assert.ok(job, `no migrations Job for ${svc}`);
        assert.deepStrictEqual(job.inputs.spec.template.spec.containers[0].command, ["/app/migrate", "up"]);
        const d = find(run, T.deployment, svc, "staging");
        assert.ok(d.dependencies.includes(job.urn), "the Deployment depends on its migrations Job");
      }
      assert.ok(!ofType(run, T.job).some((j) => j.inputs.metadata.name.startsWith("pwa-")), "pwa has no migrations");
    });

    it("waits for the database only where a service uses it", async () => {
      const run = await stack("staging");
      const db = find(run, T.statefulSet, "postgres", "staging").urn;
      const job = ofType(run, T.job).find((j) => j.inputs.metadata.name.startsWith("core-api-migrate-"))!;
      assert.ok(job.dependencies.includes(db), "migrations wait for the database");
      for (const svc of ["pwa", "api-gateway"]) {
        assert.ok(!find(run, T.deployment, svc, "staging").dependencies.includes(db), `${svc} rolls out without waiting for the database`);
      }
    });

    it("names the migrations Job after the image, so a new tag runs new migrations", async () => {
      const a = ofType(await stack("qa"), T.job).map((j) => j.inputs.metadata.name);
      const b = ofType(await runProgram("qa", { imageTag: "77aa00" }), T.job).map((j) => j.inputs.metadata.name);
      assert.strictEqual(a.length, 2);
      assert.deepStrictEqual(a.filter((n) => b.includes(n)), []);
    });
  });

  describe("feature-pr-142", () => {
    it("owns a restricted namespace with its quota, LimitRange and default-deny network policy", async () => {
      const run = await stack("feature-pr-142");
      const ns = find(run, T.namespace, "feature-pr-142");
      assert.strictEqual(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
      assert.strictEqual(ns.inputs.metadata.labels[LABEL.kind], "feature");
      assert.strictEqual(ns.protect, false);
      const quota = find(run, T.quota, "environment-quota", "feature-pr-142");
      assert.strictEqual(quota.inputs.spec.hard["limits.cpu"], "2");
      find(run, T.limitRange, "container-defaults", "feature-pr-142");
      const deny = find(run, T.netpol, "default-deny", "feature-pr-142");
      assert.deepStrictEqual(deny.inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      assert.deepStrictEqual(
        ofType(run, T.netpol).map((p) => p.inputs.metadata.name).sort(),
        ["allow-app-internal", "allow-dns", "allow-egress-to-qa", "allow-ingress-controller", "allow-prometheus-scrape", "default-deny"],
      );
    });

    it("runs one small replica per service and no HPA, PDB or alerts", async () => {
      const run = await stack("feature-pr-142");
      for (const svc of SERVICES) {
        const d = find(run, T.deployment, svc, "feature-pr-142");
        assert.strictEqual(d.inputs.spec.replicas, 1);
        assert.deepStrictEqual(container(d).resources, { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } });
      }
      assert.deepStrictEqual([...ofType(run, T.hpa), ...ofType(run, T.pdb), ...ofType(run, T.rule)], []);
    });

    it("gets an ephemeral Postgres whose random password stays secret end to end", async () => {
      const run = await stack("feature-pr-142");
      const pg = find(run, T.deployment, "postgres", "feature-pr-142");
      assert.ok(pg.inputs.spec.template.spec.volumes.some((v: any) => v.name === "data" && v.emptyDir));
      assert.strictEqual(ofType(run, T.statefulSet).length, 0);
      const secret = find(run, T.secret, "postgres-credentials", "feature-pr-142");
      assert.ok(isWireSecret(secret.wireInputs.stringData.password) || isWireSecret(secret.wireInputs.stringData), "password is sent as a secret");
      assert.strictEqual(ofType(run, T.password).length, 1);
      const coreApi = container(find(run, T.deployment, "core-api", "feature-pr-142"));
      const pw = coreApi.env.find((e: any) => e.name === "DATABASE_PASSWORD");
      assert.deepStrictEqual(pw.valueFrom, { secretKeyRef: { name: "postgres-credentials", key: "password" } }, "pods read it from the Secret, never a literal");
    });

    it("binds developers to the feature-developer ClusterRole in its own namespace only", async () => {
      const run = await stack("feature-pr-142");
      const rb = find(run, T.roleBinding, "developers", "feature-pr-142");
      assert.deepStrictEqual(rb.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "team-feature-developer" });
      assert.deepStrictEqual(rb.inputs.subjects, [{ kind: "Group", name: "developers", apiGroup: "rbac.authorization.k8s.io" }]);
    });

    it("deploys only the changed services and resolves the rest to qa", async () => {
      const run = await runProgram("feature-pr-143", { previewServices: ["core-api"] });
      assert.deepStrictEqual(ofType(run, T.deployment).map((d) => d.inputs.metadata.name).sort(), ["core-api", "postgres"]);
      for (const svc of ["pwa", "api-gateway", "auth"]) {
        const s = find(run, T.service, svc, "feature-pr-143");
        assert.deepStrictEqual(s.inputs.spec, { type: "ExternalName", externalName: `${svc}.qa.svc.cluster.local` });
      }
      const out = await resolvedExports(run);
      assert.deepStrictEqual(out.borrowedFromQa, ["pwa", "api-gateway", "auth"]);
      assert.deepStrictEqual(out.imageTags, { "core-api": "9b1d3c7" });
    });

    it("exposes each service on the preview host through Traefik", async () => {
      const out = await resolvedExports(await stack("feature-pr-142"));
      assert.deepStrictEqual(out.urls, {
        pwa: "https://pr-142.preview.yourteam.dev",
        "api-gateway": "https://api.pr-142.preview.yourteam.dev",
        auth: "https://auth.pr-142.preview.yourteam.dev",
      });
      const route = find(await stack("feature-pr-142"), T.ingressRoute, "pwa", "feature-pr-142");
      assert.strictEqual(route.inputs.spec.routes[0].match, "Host(`pr-142.preview.yourteam.dev`)");
      assert.deepStrictEqual(route.inputs.spec.routes[0].middlewares, [], "previews have no basic auth");
    });
  });

  describe("qa", () => {
    it("runs two fixed replicas, no HPA, and basic auth in front of every host", async () => {
      const run = await stack("qa");
      for (const svc of SERVICES) assert.strictEqual(find(run, T.deployment, svc, "qa").inputs.spec.replicas, 2);
      assert.strictEqual(ofType(run, T.hpa).length, 0);
      find(run, T.middleware, "basic-auth", "qa");
      for (const r of ofType(run, T.ingressRoute)) assert.deepStrictEqual(r.inputs.spec.routes[0].middlewares, [{ name: "basic-auth" }]);
      const out = await resolvedExports(run);
      assert.strictEqual(out.basicAuth.user, "team");
      assert.ok(await pulumi.isSecret((run.exports.basicAuth as { password: pulumi.Output<string> }).password), "basic-auth password is secret");
    });

    it("can use networking.k8s.io Ingress instead of IngressRoute", async () => {
      const run = await runProgram("qa", { ingressKind: "ingress" });
      assert.strictEqual(ofType(run, T.ingressRoute).length, 0);
      const ing = find(run, T.ingress, "api-gateway", "qa");
      assert.strictEqual(ing.inputs.spec.ingressClassName, "traefik");
      assert.strictEqual(ing.inputs.spec.rules[0].host, "api.qa.yourteam.dev");
      assert.strictEqual(ing.inputs.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"], "qa-basic-auth@kubernetescrd");
    });
  });

  describe("staging and production", () => {
    for (const name of ["staging", "production"]) {
      it(`${name}: HPA 3-8 owns replicas, PDB minAvailable 2, zero-downtime rollout`, async () => {
        const run = await stack(name);
        for (const svc of SERVICES) {
          const d = find(run, T.deployment, svc, name);
          assert.ok(!("replicas" in d.inputs.spec), "no spec.replicas when an HPA manages the Deployment");
          assert.deepStrictEqual(d.inputs.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
          const hpa = find(run, T.hpa, svc, name);
          assert.deepStrictEqual(hpa.inputs.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: svc });
          assert.strictEqual(hpa.inputs.spec.minReplicas, 3);
          assert.strictEqual(hpa.inputs.spec.maxReplicas, 8);
          const pdb = find(run, T.pdb, svc, name);
          assert.strictEqual(pdb.inputs.spec.minAvailable, 2);
          assert.deepStrictEqual(pdb.inputs.spec.selector.matchLabels, d.inputs.spec.selector.matchLabels);
        }
      });

      it(`${name}: alerts scoped to its namespace`, async () => {
        const run = await stack(name);
        const [rule] = ofType(run, T.rule);
        const rules = rule.inputs.spec.groups[0].rules;
        assert.deepStrictEqual(
          rules.map((r: { alert: string }) => r.alert),
          [...ALERT_NAMES],
        );
        for (const r of rules) {
          assert.strictEqual(r.labels.severity, name === "production" ? "critical" : "warning");
          assert.match(r.expr, new RegExp(`namespace="${name}"`));
        }
      });
    }

    it("protects production's stateful objects and nothing in staging", async () => {
      const prod = await stack("production");
      assert.ok(find(prod, T.statefulSet, "postgres", "production").protect);
      assert.ok(find(prod, T.secret, "postgres-credentials", "production").protect);
      assert.ok(ofType(prod, T.password).every((p) => p.protect));
      const staging = await stack("staging");
      assert.ok(staging.resources.every((r) => !r.protect));
    });

    it("production does not retry a failed migration", async () => {
      for (const job of ofType(await stack("production"), T.job)) assert.strictEqual(job.inputs.spec.backoffLimit, 0);
    });

    it("staging refreshes its data from a production backup, always anonymised", async () => {
      const run = await stack("staging");
      const cron = find(run, T.cronJob, "data-refresh", "staging");
      const c = cron.inputs.spec.jobTemplate.spec.template.spec.containers[0];
      assert.ok(c.args.includes("--anonymize-pii"));
      assert.strictEqual(cron.inputs.spec.concurrencyPolicy, "Forbid");
      assert.strictEqual(ofType(await stack("production"), T.cronJob).length, 0);
    });

    it("basic auth guards staging, not production", async () => {
      assert.strictEqual(ofType(await stack("staging"), T.middleware).length, 1);
      assert.strictEqual(ofType(await stack("production"), T.middleware).length, 0);
    });
  });

  describe("cluster", () => {
    it("owns the long-lived namespaces and protects production's", async () => {
      const run = await stack("cluster");
      for (const ns of ["qa", "staging", "production", "monitoring", "team-ci"]) find(run, T.namespace, ns);
      assert.ok(find(run, T.namespace, "production").protect);
      assert.ok(!find(run, T.namespace, "staging").protect);
      assert.strictEqual(find(run, T.namespace, "monitoring").inputs.metadata.labels[LABEL.kind], "monitoring");
    });

    it("deletes the long-lived guardrails object by object: nothing is deletedWith a namespace (only a preview is)", async () => {
      for (const name of ["cluster", "qa", "staging", "production"]) {
        const run = await stack(name);
        assert.deepStrictEqual(run.resources.filter((r) => r.deletedWith !== undefined).map((r) => r.name), [], name);
      }
      const preview = await stack("feature-pr-142");
      assert.ok(preview.resources.some((r) => r.deletedWith !== undefined), "a preview is");
    });

    it("needs exactly the Secrets the local scripts create before a deploy (scripts/local/stacks.ts requiredSecrets)", async () => {
      // With each stack's real config, a preview's (it has no committed file), and a stack named
      // freely whose kind comes from environmentKind: staging's config under another name.
      const staging = parse(fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8")).config as Record<string, unknown>;
      const uat = { ...staging, "team-environments:environmentKind": "staging" };
      const cases: [string, Record<string, unknown>][] = [["qa", {}], ["staging", {}], ["production", {}], ["feature-pr-142", defaultOverrides("feature-pr-142")], ["uat", uat]];
      for (const [name, overrides] of cases) {
        const run = name === "uat" ? await runProgram(name, overrides) : await stack(name);
        const waitedFor = new Set<string>();
        for (const d of ofType(run, T.deployment)) {
          for (const from of container(d).envFrom ?? []) if (from.secretRef && from.secretRef.optional !== true) waitedFor.add(from.secretRef.name);
        }
        const required = requiredSecrets(name, stackConfig(name, overrides));
        assert.deepStrictEqual([...required.names].sort(), [...waitedFor].sort(), name);
        assert.strictEqual(required.namespace, ofType(run, T.deployment)[0].inputs.metadata.namespace, name);
      }
      assert.ok(requiredSecrets("uat", stackConfig("uat", uat)).names.length > 0, "a staging stack under another name needs its Secrets too");
      assert.deepStrictEqual(requiredSecrets("cluster", stackConfig("cluster")), { names: [] });
    });

    it("names the stack and its config problems in one line when requiredSecrets cannot read it", () => {
      assert.throws(
        () => requiredSecrets("staging", stackConfig("staging", { imageTag: "NOT A TAG" })),
        (e: Error) => e instanceof LocalError && /^staging: cannot tell which Secrets it needs, its config is invalid: .*imageTag/.test(e.message) && !e.message.includes("\n"),
      );
    });

    it("gives production headroom over a preview and every environment a default-deny policy", async () => {
      const run = await stack("cluster");
      const cpu = (ns: string) => Number(find(run, T.quota, "environment-quota", ns).inputs.spec.hard["limits.cpu"]);
      assert.ok(cpu("production") > cpu("qa"));
      for (const ns of ["qa", "staging", "production", "monitoring"]) find(run, T.netpol, "default-deny", ns);
      find(run, T.netpol, "allow-ingress-from-previews", "qa");
      find(run, T.netpol, "allow-data-refresh-egress", "staging");
    });

    it("tells the operator where each CI credential went, and keeps the kubeconfigs secret", async () => {
      const run = await stack("cluster");
      const out = await resolvedExports(run);
      assert.deepStrictEqual(Object.keys(out.ciCredentials).sort(), ["drift", "previews", "production", "qa", "staging"]);
      assert.match(out.github, /^disabled: /);
      const kubeconfigs = run.exports.kubeconfigs as Record<string, pulumi.Output<string>>;
      for (const env of ["qa", "staging", "production", "previews", "drift"]) {
        assert.ok(await pulumi.isSecret(kubeconfigs[env]), `${env} kubeconfig is secret`);
      }
      const staging = JSON.parse(await new Promise<string>((r) => kubeconfigs.staging.apply(r)));
      assert.strictEqual(staging.contexts[0].context.namespace, "staging");
      assert.strictEqual(staging.users[0].user.token, "token-of-staging-deployer-token");
    });
  });
});
