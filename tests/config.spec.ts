import * as assert from "assert";
import { ConfigError, kindOfStack, MAX_ENVIRONMENT_NAME, parityDeltaKeys, parseSettings, Settings } from "../config";
import { featureStackName } from "../policy/conventions";
import { RunError } from "@pulumi/pulumi";
import { stackConfig, tryRunProgram } from "./support/program";

/** The stack's committed config without the `team-environments:` prefix, plus overrides. */
function raw(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const all = stackConfig(stack, stack.startsWith("feature-pr-") ? { imageTag: "9b1d3c7", ...overrides } : overrides);
  for (const [k, v] of Object.entries(all)) out[k.replace(/^team-environments:/, "")] = v;
  return out;
}

function problemsOf(stack: string, overrides: Record<string, unknown>): string[] {
  try {
    parseSettings(stack, raw(stack, overrides));
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail("expected the config to be rejected");
}

function app(settings: Settings) {
  assert.ok(settings.kind !== "cluster");
  return settings.app;
}

describe("config", () => {
  describe("valid stacks", () => {
    it("derives the kind and namespace from the stack name", () => {
      assert.strictEqual(kindOfStack("feature-pr-142"), "feature");
      assert.strictEqual(kindOfStack("staging"), "staging");
      assert.strictEqual(kindOfStack("feature-pr-0"), undefined);
      assert.strictEqual(featureStackName(142), "feature-pr-142");
      const a = app(parseSettings("feature-pr-142", raw("feature-pr-142")));
      assert.strictEqual(a.namespace, "feature-pr-142");
      assert.strictEqual(a.services.find((s) => s.name === "pwa")?.host, "pr-142.preview.yourteam.dev");
    });

    it("gives staging and production the same base: HPA 3-8, PDB 2, maxUnavailable 0", () => {
      for (const stack of ["staging", "production"]) {
        const a = app(parseSettings(stack, raw(stack)));
        for (const s of a.services) {
          assert.deepStrictEqual(s.autoscaling, { minReplicas: 3, maxReplicas: 8, cpuUtilization: 70, memoryUtilization: 80 });
          assert.strictEqual(s.replicas, undefined, "an HPA owns replicas");
          assert.strictEqual(s.pdbMinAvailable, 2);
        }
        assert.deepStrictEqual(a.rollout, { maxSurge: 1, maxUnavailable: 0 });
      }
    });

    it("deploys only the preview services and borrows the rest from qa", () => {
      const a = app(parseSettings("feature-pr-7", raw("feature-pr-7", { previewServices: ["core-api"] })));
      assert.deepStrictEqual(a.services.map((s) => s.name), ["core-api"]);
      assert.deepStrictEqual(a.borrowed, ["pwa", "api-gateway", "auth"]);
    });

    it("lets staging and production name their database image (a private registry), as one key both set alike", () => {
      for (const stack of ["staging", "production"]) {
        const a = app(parseSettings(stack, raw(stack, { database: { image: "registry.internal/postgres:17-alpine" } })));
        assert.strictEqual(a.database.image, "registry.internal/postgres:17-alpine");
        assert.strictEqual(a.database.mode, "persistent");
      }
      assert.ok(!parityDeltaKeys("production").includes("database"), "database is not a parity delta");
    });

    it("returns frozen settings", () => {
      const a = app(parseSettings("qa", raw("qa")));
      assert.ok(Object.isFrozen(a) && Object.isFrozen(a.services[0]));
    });
  });

  describe("invalid values stop the program with one message naming key, value and what is accepted", () => {
    const cases: { name: string; stack: string; overrides: Record<string, unknown>; expect: RegExp }[] = [
      { name: "fails when the environment kind is unknown", stack: "qa", overrides: { environmentKind: "prod" }, expect: /environmentKind = "prod": one of feature, qa, staging, production, cluster/ },
      { name: "fails when the kind contradicts the stack name", stack: "staging", overrides: { environmentKind: "production" }, expect: /environmentKind = "production": must agree with the stack name "staging"/ },
      { name: "fails when replicas are negative", stack: "qa", overrides: { replicas: -1 }, expect: /replicas = -1: an integer from 1 to 50/ },
      { name: "fails when the image tag is malformed", stack: "qa", overrides: { imageTag: "v1 beta" }, expect: /imageTag = "v1 beta": a Docker image tag/ },
      { name: "fails when the image tag is missing", stack: "qa", overrides: { imageTag: undefined }, expect: /imageTag = undefined: required/ },
      { name: "fails when production runs latest", stack: "production", overrides: { imageTag: "latest" }, expect: /imageTag = "latest": a pinned tag/ },
      {
        name: "fails when limits are below requests",
        stack: "qa",
        overrides: { resources: { "core-api": { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "200m", memory: "256Mi" } } } },
        expect: /resources\.core-api\.limits\.cpu = "200m": limits must be at least the requests \(requests\.cpu is 500m\)/,
      },
      { name: "fails when PDB minAvailable is not below replicas", stack: "qa", overrides: { replicas: 2, pdbMinAvailable: 2 }, expect: /pdbMinAvailable = 2: must be below replicas \(2\)/ },
      { name: "fails when HPA minReplicas does not exceed the PDB", stack: "staging", overrides: { autoscaling: { minReplicas: 2 } }, expect: /autoscaling\.minReplicas = 2: must exceed the PDB minAvailable \(2\)/ },
      { name: "fails when maxReplicas is below minReplicas", stack: "production", overrides: { autoscaling: { minReplicas: 5, maxReplicas: 4 } }, expect: /autoscaling\.maxReplicas = 4: must be at least autoscaling\.minReplicas \(5\)/ },
      { name: "fails when a preview names an unknown service", stack: "feature-pr-9", overrides: { previewServices: ["billing"] }, expect: /previewServices = "billing": unknown service; services are pwa, api-gateway, core-api, auth/ },
      { name: "fails when a host override names an unknown service", stack: "staging", overrides: { hosts: { checkout: "x.example.com" } }, expect: /hosts\.checkout = "x\.example\.com": unknown service/ },
      { name: "fails when anonymisation is turned off", stack: "staging", overrides: { dataRefresh: { anonymize: false } }, expect: /dataRefresh\.anonymize = false: only true/ },
      { name: "fails when staging sets a key outside the parity deltas", stack: "staging", overrides: { replicas: 5 }, expect: /replicas = "?5"?: not accepted in staging stacks .*staging may only differ from its peer by imageTag, hosts, secretRefs, autoscaling/ },
      { name: "fails when production sets its database's storage (only the image is a shared key there)", stack: "production", overrides: { database: { image: "registry.internal/postgres:17-alpine", storageSize: "50Gi" } }, expect: /database\.storageSize = "50Gi": not accepted in production stacks: only database\.image may be set there/ },
      { name: "fails on an unknown key (a typo)", stack: "qa", overrides: { imagTag: "abc" }, expect: /imagTag \(value not shown: it may be secret\): unknown key/ },
      { name: "fails when a feature stack is misnamed", stack: "preview-1", overrides: { environmentKind: "feature", imageTag: "abc" }, expect: /feature stacks must be named feature-pr-<N>/ },
      { name: "fails when GitHub is on without approvers", stack: "cluster", overrides: { github: { enabled: true, owner: "acme", repository: "shop" } }, expect: /github\.releaseApprovers = undefined: at least one team or user/ },
      { name: "fails when the OIDC repository is not owner/name", stack: "cluster", overrides: { ciOidcRepository: "acme" }, expect: /ciOidcRepository = "acme": a GitHub repository as owner\/name/ },
      { name: "fails when an app stack sets the OIDC repository", stack: "production", overrides: { ciOidcRepository: "acme/shop" }, expect: /ciOidcRepository = "acme\/shop": not accepted in production stacks/ },
      { name: "fails when a quantity is malformed", stack: "cluster", overrides: { quotas: { production: { limitsMemory: "lots" } } }, expect: /quotas\.production\.limitsMemory = "lots": a Kubernetes quantity/ },
    ];
    const pagerKey = "0123456789abcdef0123456789abcdef";
    const secretCases: { name: string; receivers: unknown; expect: RegExp }[] = [
      { name: "is not an object", receivers: "https://hooks.example/x", expect: /alertReceivers \(value not shown: it may be secret\): an object \{ paging\?, chat\? \}/ },
      { name: "names an unknown receiver", receivers: { pager: { type: "webhook", url: "https://x.example/y" } }, expect: /alertReceivers\.pager \(value not shown.*\): unknown receiver; receivers are paging .* and chat/ },
      { name: "has an unknown type", receivers: { paging: { type: "opsgenie", key: "k" } }, expect: /alertReceivers\.paging\.type .*: one of pagerduty, slack, webhook/ },
      { name: "misses a required field", receivers: { chat: { type: "slack", channel: "#ops" } }, expect: /alertReceivers\.chat\.webhookUrl .*: required for type slack/ },
      { name: "has a field of another type", receivers: { paging: { type: "pagerduty", routingKey: pagerKey, url: "https://x.example" } }, expect: /alertReceivers\.paging\.url .*: unknown field for type pagerduty; fields are routingKey/ },
      { name: "has a malformed routing key", receivers: { paging: { type: "pagerduty", routingKey: "short-key" } }, expect: /alertReceivers\.paging\.routingKey .*: a PagerDuty Events API v2 integration key/ },
      { name: "has a URL that is not http(s)", receivers: { chat: { type: "webhook", url: "ftp://x.example/hook" } }, expect: /alertReceivers\.chat\.url .*: an http\(s\):\/\/ URL/ },
    ];
    for (const c of secretCases) {
      it(`fails, without showing the value, when alertReceivers ${c.name}`, () => {
        const problems = problemsOf("cluster", { alertReceivers: c.receivers });
        assert.ok(problems.some((p) => c.expect.test(p)), `no problem matched ${c.expect}:\n${problems.join("\n")}`);
        for (const secret of ["hooks.example", "x.example", "short-key", pagerKey]) assert.ok(!problems.join("\n").includes(secret), `${secret} shown`);
      });
    }

    it("fails when an app stack's name cannot be its namespace, naming the limit", () => {
      for (const stack of ["QA-eu", "qa_eu", "qa.eu", "-qa", `q${"a".repeat(MAX_ENVIRONMENT_NAME)}`]) {
        const problems = problemsOf(stack, { environmentKind: "qa", imageTag: "abc" });
        assert.ok(
          problems.some((p) => p.startsWith(`stack "${stack}": an app stack's name is its namespace`) && p.includes(`at most ${MAX_ENVIRONMENT_NAME} characters`)),
          problems.join("\n"),
        );
      }
      assert.strictEqual(app(parseSettings("qa-eu", { environmentKind: "qa", imageTag: "abc" })).namespace, "qa-eu");
    });

    it("the longest accepted app stack name yields labels and names Kubernetes accepts", async () => {
      const stack = `qa-${"x".repeat(MAX_ENVIRONMENT_NAME - 3)}`;
      const { error, run } = await tryRunProgram(stack, { environmentKind: "qa", imageTag: "abc" });
      assert.strictEqual(error, undefined, String(error));
      assert.ok(run.resources.length > 20);
      for (const r of run.resources) {
        for (const [k, v] of Object.entries<string>(r.inputs.metadata?.labels ?? {})) assert.ok(v.length <= 63, `${r.name}: label ${k}=${v} is longer than 63`);
        for (const [k, v] of Object.entries<string>(r.inputs.spec?.template?.metadata?.labels ?? {})) assert.ok(v.length <= 63, `${r.name}: pod label ${k}=${v}`);
        const name = r.inputs.metadata?.name;
        if (typeof name === "string") assert.ok(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) && name.length <= 253, `${r.name}: name ${name}`);
      }
    });

    it("fails when a preview's sizes cannot fit its own quota, with the numbers", () => {
      const pods = problemsOf("feature-pr-9", { replicas: 10 });
      assert.ok(pods.some((p) => /^team-environments:replicas: 4 service\(s\) .* need pods 42, more than the environment's quota of 15$/.test(p)), pods.join("\n"));
      const cpu = problemsOf("feature-pr-9", { resources: { "core-api": { requests: { cpu: "900m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } } } });
      assert.ok(cpu.some((p) => /^team-environments:resources: .* need requests\.cpu 1201m, more than the environment's quota of 1$/.test(p)), cpu.join("\n"));
      // Fewer services make room: the same replicas fit once the preview deploys two services.
      assert.doesNotThrow(() => parseSettings("feature-pr-9", raw("feature-pr-9", { replicas: 2, previewServices: ["pwa", "core-api"] })));
      assert.doesNotThrow(() => parseSettings("feature-pr-9", raw("feature-pr-9", { replicas: 1 })));
    });

    it("fails on a misspelt secret key without showing its value", () => {
      const problems = problemsOf("cluster", { alertReceiver: { paging: { type: "pagerduty", routingKey: pagerKey } } });
      assert.ok(problems.some((p) => /^team-environments:alertReceiver \(value not shown.*\): unknown key/.test(p)), problems.join("\n"));
      assert.ok(!problems.join("\n").includes(pagerKey), "the routing key is not shown");
    });

    it("fails when an app stack sets alertReceivers", () => {
      const problems = problemsOf("production", { alertReceivers: { chat: { type: "webhook", url: "https://x.example/y" } } });
      assert.ok(problems.some((p) => /alertReceivers \(value not shown.*\): not accepted in production stacks/.test(p)), problems.join("\n"));
      assert.ok(!problems.join("\n").includes("x.example"), "the value is not shown");
    });

    for (const c of cases) {
      it(c.name, () => {
        const problems = problemsOf(c.stack, c.overrides);
        assert.ok(problems.some((p) => c.expect.test(p)), `no problem matched ${c.expect}:\n${problems.join("\n")}`);
      });
    }

    it("fails with every problem at once, not just the first", () => {
      const problems = problemsOf("qa", { replicas: 0, imageTag: "no good", ingressKind: "gateway" });
      assert.strictEqual(problems.length, 3, problems.join("\n"));
    });

    it("fails before any resource is registered, with a RunError (no stack trace)", async () => {
      const { error, run } = await tryRunProgram("staging", { replicas: -3 });
      // index.ts was loaded afresh, with its own copy of the config modules: compare by name.
      assert.ok(error instanceof Error && error.name === "ConfigError", String(error));
      assert.ok(RunError.isInstance(error), "Pulumi prints a RunError without a stack trace");
      assert.match(error.message, /^invalid stack configuration \(\d+ problems?\):\n {2}- team-environments:replicas/);
      assert.deepStrictEqual(run.resources, []);
    });
  });
});
