import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ResourceLike } from "../../policy/analysis/objects";
import { parseStackExport } from "../../policy/analysis/stack-export";
import { defaultConfigFor } from "../../policy/cli/args";
import { policies } from "../../policy/policies";
import { Finding, PackConfig, loadPackConfig, runPack } from "../../policy/runner";
import { runProgram, toStackExport } from "../support/program";

/**
 * The whole pack on the resource graphs the real program produces for every stack, with each
 * stack's committed policy config, the peer stack for parity and the cluster stack for RBAC and
 * guardrails — then single mutations of those graphs, each caught by the rule that owns it.
 */
const STACKS = ["cluster", "qa", "staging", "production", "feature-pr-142"];
const PEER: Record<string, string> = { staging: "production", production: "staging" };

describe("policy pack on the program's resource graphs", function () {
  this.timeout(120000);
  const files: Record<string, string> = {};
  const graphs: Record<string, ResourceLike[]> = {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-program-"));

  before(async () => {
    for (const stack of STACKS) {
      const doc = toStackExport(await runProgram(stack));
      files[stack] = path.join(dir, `${stack}.json`);
      fs.writeFileSync(files[stack], JSON.stringify(doc));
      graphs[stack] = parseStackExport(doc, files[stack]).resources;
    }
  });

  function configFor(stack: string): PackConfig {
    const config: PackConfig = { ...loadPackConfig(defaultConfigFor(stack)!, policies) };
    for (const rule of policies) {
      const props = rule.configSchema.properties;
      const inject: Record<string, string> = {};
      if ("clusterStackExport" in props && stack !== "cluster") inject.clusterStackExport = files.cluster;
      if ("referenceStackExport" in props && PEER[stack]) inject.referenceStackExport = files[PEER[stack]];
      const entry = config[rule.name];
      config[rule.name] = typeof entry === "string" ? { enforcementLevel: entry, ...inject } : { ...((entry as object) ?? {}), ...inject };
    }
    // The cluster stack holds both locked namespaces' guardrails: parity compares them in place.
    return config;
  }

  async function mandatory(stack: string, resources: ResourceLike[] = graphs[stack]): Promise<Finding[]> {
    return (await runPack(policies, resources, configFor(stack))).findings.filter((f) => f.level === "mandatory");
  }

  for (const stack of STACKS) {
    it(`${stack}: zero mandatory violations`, async () => {
      const found = await mandatory(stack);
      assert.deepStrictEqual(found.map((f) => `${f.policy} ${f.resource}: ${f.message}`), []);
    });
  }

  const edit = (stack: string, pick: (r: ResourceLike) => boolean, fn: (p: any) => void): ResourceLike[] => {
    let hit = 0;
    const out = graphs[stack].map((r) => {
      if (!pick(r)) return r;
      hit++;
      const props = structuredClone(r.props);
      fn(props);
      return { ...r, props };
    });
    assert.ok(hit > 0, "mutation matched nothing");
    return out;
  };
  const is = (type: string, name: string, ns?: string) => (r: ResourceLike) =>
    r.type.endsWith(`:${type}`) && (r.props as any).metadata?.name === name && (ns === undefined || (r.props as any).metadata?.namespace === ns);
  const rulesOf = (fs: Finding[]) => [...new Set(fs.map((f) => f.policy))];

  it("lets staging run a new tag ahead of production: its migrations Jobs, named after the image, are the same Jobs", async () => {
    const doc = toStackExport(await runProgram("staging", { imageTag: "a1b2c3d4" }));
    const found = await mandatory("staging", parseStackExport(doc, "staging.json").resources);
    assert.deepStrictEqual(found.map((f) => `${f.policy}: ${f.message}`), []);
  });

  it("fails when production runs a tag staging never ran (staging-production-parity)", async () => {
    const rs = edit("production", (r) => r.type.endsWith(":Deployment"), (p) => {
      for (const c of p.spec.template.spec.containers) c.image = c.image.replace(/:[^:/]+$/, ":never-staged");
    });
    const found = await mandatory("production", rs);
    assert.deepStrictEqual(rulesOf(found), ["staging-production-parity"]);
    assert.match(found.map((f) => f.message).join("\n"), /never-staged in production, which staging does not run/);
  });

  it("fails when only production moves its database to another image (database is a key both may set, never a delta)", async () => {
    const doc = toStackExport(await runProgram("production", { database: { image: "registry.internal/postgres:17-alpine" } }));
    const found = await mandatory("production", parseStackExport(doc, "production.json").resources);
    assert.deepStrictEqual(rulesOf(found), ["staging-production-parity"]);
    assert.match(found.map((f) => f.message).join("\n"), /registry\.internal\/postgres:17-alpine/);
  });

  it("fails when production's memory limit drifts from staging's (staging-production-parity)", async () => {
    const rs = edit("production", is("Deployment", "core-api"), (p) => (p.spec.template.spec.containers[0].resources.limits.memory = "3Gi"));
    const found = await mandatory("production", rs);
    assert.match(found.map((f) => f.message).join("\n"), /Deployment\/core-api .*resources\.limits\.memory/);
  });

  it("fails when the cluster stack binds developers to edit in staging (no-developer-write-in-locked-namespaces)", async () => {
    const rb = graphs.cluster.find((r) => r.type.endsWith(":RoleBinding") && (r.props as any).metadata?.namespace === "staging");
    assert.ok(rb, "the cluster stack has a RoleBinding in staging");
    const rs = edit("cluster", (r) => r === rb, (p) => {
      p.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" };
      p.subjects = [...(p.subjects ?? []), { kind: "Group", name: "developers", apiGroup: "rbac.authorization.k8s.io" }];
    });
    assert.deepStrictEqual(rulesOf(await mandatory("cluster", rs)), ["no-developer-write-in-locked-namespaces"]);
  });

  it("fails when a feature namespace's default-deny policy is removed (network-isolation)", async () => {
    const rs = graphs["feature-pr-142"].filter(
      (r) => !(r.type.endsWith(":NetworkPolicy") && JSON.stringify((r.props as any).spec?.podSelector ?? {}) === "{}" && !(r.props as any).spec?.ingress && !(r.props as any).spec?.egress),
    );
    assert.ok(rs.length < graphs["feature-pr-142"].length, "the feature stack has a default-deny policy");
    const found = await mandatory("feature-pr-142", rs);
    assert.ok(found.some((f) => f.policy === "network-isolation" && /not default-deny/.test(f.message)), JSON.stringify(found));
  });

  it("fails when production's Namespace loses protect (production-namespace-protected)", async () => {
    const rs = graphs.cluster.map((r) => (is("Namespace", "production")(r) ? { ...r, opts: { protect: false } } : r));
    assert.deepStrictEqual(rulesOf(await mandatory("cluster", rs)), ["production-namespace-protected"]);
  });

  it("fails when staging's data refresh drops --anonymize-pii (data-refresh-anonymised)", async () => {
    const rs = edit("staging", is("CronJob", "data-refresh"), (p) => {
      const c = p.spec.jobTemplate.spec.template.spec.containers[0];
      c.args = c.args.filter((a: string) => a !== "--anonymize-pii");
    });
    assert.deepStrictEqual(rulesOf(await mandatory("staging", rs)), ["data-refresh-anonymised"]);
  });

  it("fails when staging runs an untagged image (image-tag-pinned)", async () => {
    const rs = edit("staging", is("Deployment", "pwa"), (p) => (p.spec.template.spec.containers[0].image = p.spec.template.spec.containers[0].image.replace(/:[^:/]+$/, "")));
    assert.ok(rulesOf(await mandatory("staging", rs)).includes("image-tag-pinned"));
  });

  it("fails when a feature namespace has no LimitRange (feature-namespace-guardrails)", async () => {
    const rs = graphs["feature-pr-142"].filter((r) => !r.type.endsWith(":LimitRange"));
    assert.deepStrictEqual(rulesOf(await mandatory("feature-pr-142", rs)), ["feature-namespace-guardrails"]);
  });

  // A stack export can be well formed and still hold objects of the wrong shape (hand-edited
  // state, another tool's output). Whatever the pack finds, it must not crash: a crash surfaces
  // as "internal error" in policy:check and as a failed preview in the engine.
  const PATHS = [
    [],
    ["metadata"],
    ["metadata", "labels"],
    ["metadata", "namespace"],
    ["spec"],
    ["spec", "template"],
    ["spec", "template", "spec"],
    ["spec", "template", "spec", "containers"],
    ["spec", "podSelector"],
    ["spec", "ingress"],
    ["spec", "egress"],
    ["spec", "selector"],
    ["spec", "hard"],
    ["spec", "groups"],
    ["spec", "jobTemplate"],
    ["spec", "matchConstraints"],
    ["rules"],
    ["subjects"],
    ["roleRef"],
    ["data"],
  ];
  const JUNK: unknown[] = [null, 42, "x", true, [], {}, [42], [null], { a: 1 }];
  const set = (o: any, keys: string[], v: unknown): any => {
    if (keys.length === 0) return v;
    if (o === null || typeof o !== "object" || Array.isArray(o)) return o;
    return { ...o, [keys[0]]: set(o[keys[0]], keys.slice(1), v) };
  };
  for (const stack of ["cluster", "staging", "feature-pr-142"]) {
    it(`${stack}: objects of the wrong shape give findings or nothing, never a crash`, async () => {
      let runs = 0;
      for (const keys of PATHS) {
        for (const junk of JUNK) {
          const mutated = graphs[stack].map((r) => ({ ...r, props: keys.length === 0 && (junk === null || typeof junk !== "object" || Array.isArray(junk)) ? {} : set(r.props, keys, junk) }));
          await runPack(policies, mutated, configFor(stack)).catch((e: Error) => {
            assert.fail(`${stack}: ${keys.join(".") || "props"} = ${JSON.stringify(junk)} crashed the pack: ${e.message.split("\n")[0]}`);
          });
          runs++;
        }
      }
      assert.strictEqual(runs, PATHS.length * JUNK.length);
    });
  }
});
