/**
 * policy/ts-loader.js, the .ts loader of the program (program-loader.js) and the pack (pack.js):
 * sucrase's output cached per file and used only while the source is unchanged; stack traces left
 * unmapped; the SDK's function serializer, its run harness's tracer and the Kubernetes SDK's Helm,
 * kustomize and YAML modules loaded on first use. Each case runs a fresh Node (this
 * one) with a cache directory of its own (TEAM_ENV_CACHE), as the engine starts the program.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFERRED, K8S_TEMPLATES, SERIALIZER, TRACING } from "../../policy/ts-loader";
import { ROOT } from "../../scripts/local/env";

const LOADER = path.join(ROOT, "program-loader.js");

/** A module with types, an import and an error thrown from line 6. */
const SOURCE = (value: string) => `import * as path from "path";
interface Named { name: string }
const named: Named = { name: ${JSON.stringify(value)} };
export const answer = path.basename(named.name);
export function fail(): never {
  throw new Error("from line 6");
}
`;

interface Run {
  answer: string;
  sucraseLoaded: boolean;
  failedAt: string;
}

describe("the .ts loader (policy/ts-loader.js)", function () {
  this.timeout(30000);
  let dir: string;
  let cache: string;
  let file: string;

  const load = (env: NodeJS.ProcessEnv = {}): Run => {
    const script = `
      const m = require(${JSON.stringify(file)});
      let failedAt = "";
      try { m.fail(); } catch (e) { failedAt = /module\\.ts:(\\d+)/.exec(e.stack)[1]; }
      const sucraseLoaded = Object.keys(require.cache).some((f) => f.includes(path.join("node_modules", "sucrase", "dist")));
      process.stdout.write(JSON.stringify({ answer: m.answer, sucraseLoaded, failedAt }));`;
    // Unset (undefined is left out of a child's environment): Node reads even an empty value.
    return withLoader(`const path = require("path");${script}`, { NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined, ...env });
  };
  /** Runs `script` in a fresh Node with the program's loader and every deferral on (unless `env` sets one eager); its stdout as JSON. */
  function withLoader(script: string, env: NodeJS.ProcessEnv = {}) {
    const eager = Object.fromEntries(DEFERRED.map((d) => [d.eager, undefined]));
    const r = spawnSync(process.execPath, ["-r", LOADER, "-e", script], { cwd: dir, env: { ...process.env, TEAM_ENV_CACHE: cache, ...eager, ...env }, encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }
  const entries = () => {
    const ts = path.join(cache, "ts");
    return fs.existsSync(ts) ? (fs.readdirSync(ts, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(ts, f)).isFile()) : [];
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-loader-"));
    cache = path.join(dir, "cache");
    file = path.join(dir, "module.ts");
    fs.writeFileSync(file, SOURCE("a/first"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("transpiles once, then loads the cached output without loading sucrase", () => {
    assert.deepStrictEqual(load(), { answer: "first", sucraseLoaded: true, failedAt: "6" });
    assert.strictEqual(entries().length, 1);
    assert.deepStrictEqual(load(), { answer: "first", sucraseLoaded: false, failedAt: "6" }, "stack traces keep the .ts line");
  });

  it("transpiles a changed file again and keeps one entry per file", () => {
    load();
    fs.writeFileSync(file, SOURCE("b/second"));
    assert.deepStrictEqual(load(), { answer: "second", sucraseLoaded: true, failedAt: "6" });
    assert.deepStrictEqual(load(), { answer: "second", sucraseLoaded: false, failedAt: "6" });
    assert.strictEqual(entries().length, 1);
  });

  it("caches nothing with NODE_DISABLE_COMPILE_CACHE=1, and still loads where the cache cannot be written", () => {
    assert.deepStrictEqual(load({ NODE_DISABLE_COMPILE_CACHE: "1" }), { answer: "first", sucraseLoaded: true, failedAt: "6" });
    assert.deepStrictEqual(entries(), []);
    fs.mkdirSync(cache);
    fs.writeFileSync(path.join(cache, "ts"), "a file where the cache's directory would be");
    assert.deepStrictEqual(load(), { answer: "first", sucraseLoaded: true, failedAt: "6" });
    assert.deepStrictEqual(load(), { answer: "first", sucraseLoaded: true, failedAt: "6" });
  });

  it("uses no cache another user could write, and transpiles again an entry that was altered", () => {
    load();
    const [entry] = entries().map((f) => path.join(cache, "ts", f));
    const stored = fs.readFileSync(entry, "utf8");
    fs.writeFileSync(entry, stored.replace('"a/first"', '"a/altered"'));
    assert.deepStrictEqual(load(), { answer: "first", sucraseLoaded: true, failedAt: "6" }, "the altered entry is not run");
    assert.deepStrictEqual(load(), { answer: "first", sucraseLoaded: false, failedAt: "6" });
    fs.chmodSync(path.dirname(entry), 0o777);
    assert.deepStrictEqual(load(), { answer: "first", sucraseLoaded: true, failedAt: "6" }, "a world-writable cache is not read");
  });

  it("leaves stack traces unmapped, after Pulumi's entrypoint installs source-map-support or before, unless asked", () => {
    // Where the SDK's Config.require throws from, as each entrypoint runs: the program's loader goes
    // first (`--require`), the pack's after run-policy-pack's source-map-support/register.
    const thrower = (dir: string, loaderFirst: boolean, env: NodeJS.ProcessEnv = {}): { file: string; formatter: string } => {
      const loader = `require(${JSON.stringify(path.join(dir, loaderFirst ? "program-loader.js" : "ts-loader.js"))})${loaderFirst ? "" : ".register(require)"};`;
      const entrypoint = `require(require.resolve("source-map-support/register", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }));`;
      const script = `const path = require("path"); const node = Error.prepareStackTrace; ${loaderFirst ? loader + entrypoint : entrypoint + loader}
        try { new (require("@pulumi/pulumi/config").Config)("x").require("k"); } catch (e) { process.stdout.write(e.stack); }
        process.stderr.write(Error.prepareStackTrace === node ? "node's" : "another");`;
      const r = spawnSync(process.execPath, ["-e", script], { cwd: dir, env: { ...process.env, TEAM_ENV_CACHE: cache, ...env }, encoding: "utf8" });
      assert.strictEqual(r.status, 0, r.stderr);
      const frame = /at Config\.require \((.*?):\d+:\d+\)/.exec(r.stdout);
      assert.ok(frame, r.stdout);
      return { file: path.relative(dir, frame[1]), formatter: r.stderr };
    };
    const sdk = path.join("node_modules", "@pulumi");
    const js = path.join(sdk, "pulumi", "config.js");
    // The program's traces are Node's own; the pack keeps the entrypoint's formatter, finding no map.
    assert.deepStrictEqual(thrower(ROOT, true), { file: js, formatter: "node's" }, "the program");
    assert.deepStrictEqual(thrower(path.join(ROOT, "policy"), false), { file: js, formatter: "another" }, "the pack");
    // What source-map-support makes of it: a .ts file the package does not ship.
    const mapped = thrower(ROOT, true, { TEAM_ENV_SOURCE_MAPS: "1" });
    assert.deepStrictEqual(mapped, { file: path.join(sdk, "config.ts"), formatter: "another" });
    assert.ok(!fs.existsSync(path.join(ROOT, mapped.file)));
  });

  it("loads @pulumi/pulumi without its function serializer, which a call loads and runs; TEAM_ENV_EAGER_SERIALIZER=1 loads it with the SDK", () => {
    // The program's loader, then the SDK's index, as the program imports it; then each deferred function called.
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "code-paths", version: "1.0.0" }));
    fs.writeFileSync(path.join(dir, "a.txt"), "included");
    const script = `
      const path = require("path");
      const loaded = () => ({
        typescript: Object.keys(require.cache).some((f) => f.includes(path.join("node_modules", "typescript", ""))),
        arborist: Object.keys(require.cache).some((f) => f.includes(path.join("node_modules", "@npmcli", "arborist", ""))),
      });
      const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi"))});
      const withSdk = loaded();
      (async () => {
        const fn = await pulumi.runtime.serializeFunction(() => 6 * 7);
        const serialized = loaded();
        const m = { exports: {} };
        new Function("exports", "module", "require", fn.text)(m.exports, m, require);
        const codePaths = [...(await pulumi.runtime.computeCodePaths({ extraIncludePaths: ["a.txt"] })).keys()];
        process.stdout.write(JSON.stringify({ withSdk, serialized, answer: m.exports[fn.exportName](), codePaths, after: loaded() }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const both = { typescript: true, arborist: true };
    assert.deepStrictEqual(withLoader(script), {
      withSdk: { typescript: false, arborist: false },
      serialized: { typescript: true, arborist: false },
      answer: 42,
      codePaths: ["a.txt"],
      after: both,
    });
    assert.deepStrictEqual(withLoader(script, { TEAM_ENV_EAGER_SERIALIZER: "1" }), { withSdk: both, serialized: both, answer: 42, codePaths: ["a.txt"], after: both });
  });

  it("defers exactly the functions the installed SDK's runtime/index.js takes from the serializer's modules", () => {
    // The functions it takes are the SERIALIZER lists; one more (a new SDK) would load the module at once.
    for (const sdk of [ROOT, path.join(ROOT, "policy")]) {
      const index = fs.readFileSync(require.resolve("@pulumi/pulumi/runtime/index.js", { paths: [sdk] }), "utf8");
      const taken: Record<string, string[]> = {};
      for (const [, binding, request] of index.matchAll(/var (\w+) = require\("(\.\/closure\/\w+)"\);/g)) {
        taken[request] = [...index.matchAll(new RegExp(`\\b${binding}\\.(\\w+)`, "g"))].map((m) => m[1]).sort();
      }
      assert.deepStrictEqual(taken, Object.fromEntries(Object.entries(SERIALIZER).map(([k, v]) => [k, [...v].sort()])), sdk);
    }
  });

  it("loads the run harness's tracing without the OpenTelemetry SDK, which tracing.start loads and runs; TEAM_ENV_EAGER_TRACING=1 loads it with the harness", () => {
    // What the harness does: a span for each step whether or not tracing is on, start() only with --tracing.
    const script = `
      const sdk = () => ${JSON.stringify(Object.keys(TRACING))}.filter((m) => Object.keys(require.cache).some((f) => f.includes(require("path").join("node_modules", m, ""))));
      const tracing = require(${JSON.stringify(require.resolve("@pulumi/pulumi/cmd/run/tracing.js"))});
      const withHarness = sdk();
      tracing.newSpan("language-runtime.run").end();
      const afterSpan = sdk();
      tracing.start("http://127.0.0.1:9/api/v2/spans");
      const api = require(${JSON.stringify(require.resolve("@opentelemetry/api", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] }))});
      const provider = api.trace.getTracerProvider().getDelegate().constructor.name;
      const span = tracing.newSpan("language-runtime.runProgram");
      process.stdout.write(JSON.stringify({ withHarness, afterSpan, started: sdk(), provider, recording: span.isRecording() }));
      process.exit(0);`;
    const all = Object.keys(TRACING);
    const started = { started: all, provider: "NodeTracerProvider", recording: true };
    assert.deepStrictEqual(withLoader(script), { withHarness: [], afterSpan: [], ...started });
    assert.deepStrictEqual(withLoader(script, { TEAM_ENV_EAGER_TRACING: "1" }), { withHarness: all, afterSpan: all, ...started });
  });

  it("defers exactly the names the installed SDK's cmd/run/tracing.js takes from the OpenTelemetry SDK", () => {
    // Each is destructured where it is required; the API (@opentelemetry/api), taken whole, stays eager.
    const tracing = fs.readFileSync(require.resolve("@pulumi/pulumi/cmd/run/tracing.js"), "utf8");
    const taken: Record<string, string[]> = {};
    for (const [, names, request] of tracing.matchAll(/const \{([^}]+)\} = require\("([^"]+)"\);/g)) {
      taken[request] = names.split(",").map((n) => n.trim()).sort();
    }
    assert.deepStrictEqual(taken, Object.fromEntries(Object.entries(TRACING).map(([k, v]) => [k, [...v].sort()])));
    assert.match(tracing, /const opentelemetry = require\("@opentelemetry\/api"\);/);
  });

  it("loads @pulumi/kubernetes without its Helm, kustomize and YAML modules, which the first use loads; TEAM_ENV_EAGER_K8S_TEMPLATES=1 loads them with it", () => {
    const script = `
      const path = require("path");
      const loaded = () => ["helm", "kustomize", "yaml"].filter((m) => Object.keys(require.cache).some((f) => f.includes(path.join("@pulumi", "kubernetes", m, ""))));
      const k8s = require(${JSON.stringify(require.resolve("@pulumi/kubernetes"))});
      const withSdk = loaded();
      const typed = typeof k8s.core.v1.Namespace;
      const afterTyped = loaded();
      const helmKeys = Object.keys(k8s.helm).sort();
      const afterKeys = loaded();
      const used = ["v3" in k8s.helm, typeof k8s.helm.v4.Chart, typeof k8s.yaml.v2.ConfigFile, typeof k8s.kustomize.Directory];
      process.stdout.write(JSON.stringify({ withSdk, typed, afterTyped, helmKeys, afterKeys, used, after: loaded() }));`;
    const all = ["helm", "kustomize", "yaml"];
    const used = { helmKeys: ["v3", "v4"], used: [true, "function", "function", "function"], after: all };
    // Helm's module loads the YAML one itself.
    assert.deepStrictEqual(withLoader(script), { withSdk: [], typed: "function", afterTyped: [], afterKeys: ["helm", "yaml"], ...used });
    assert.deepStrictEqual(withLoader(script, { TEAM_ENV_EAGER_K8S_TEMPLATES: "1" }), { withSdk: all, typed: "function", afterTyped: all, afterKeys: all, ...used });
  });

  it("defers only modules the installed Kubernetes SDK's index re-exports and uses for nothing else", () => {
    const index = fs.readFileSync(require.resolve("@pulumi/kubernetes"), "utf8");
    for (const request of Object.keys(K8S_TEMPLATES)) {
      const binding = new RegExp(`^const (\\w+) = require\\("${request.replace(".", "\\.")}"\\);$`, "m").exec(index)?.[1];
      assert.ok(binding, `${request} is required as a module`);
      // The binding itself, not a property (exports.helm) or the path ("./helm"): declared, re-exported, nothing else.
      const uses = index.match(new RegExp(`(?<![.\\w/"])${binding}\\b`, "g"))?.length;
      assert.match(index, new RegExp(`^exports\\.${binding} = ${binding};$`, "m"), request);
      assert.strictEqual(uses, 2, `${request}: required, then re-exported, and nothing else`);
      assert.deepStrictEqual(K8S_TEMPLATES[request], [], request);
    }
  });

  it("keeps both caches in the user's cache directory, the scripts' own, not in the shared temp dir", () => {
    load();
    assert.ok(fs.existsSync(path.join(cache, "node-compile-cache")) || Number(process.versions.node.split(".")[0]) < 22, "Node's compile cache (Node >= 22)");
    assert.strictEqual(entries().length, 1);
    // The scripts' cache directory is this loader's cacheRoot (scripts/local/env.ts re-exports it);
    // tests/local-env.spec.ts checks it against scripts/lib/cache.sh.
  });
});
