import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError, loadStackExport } from "../../policy/analysis/stack-export";
import { main as check } from "../../policy/cli/check";
import { main as report } from "../../policy/cli/report";
import { DEVELOPERS, binding, deployment, guardrailPolicies, namespace, writeExport } from "./helpers";

const ROOT = path.resolve(__dirname, "..", "..");
const cluster = () => [
  namespace("cluster", "staging", "staging"),
  namespace("cluster", "production", "production", true),
  ...guardrailPolicies("cluster", "staging"),
  ...guardrailPolicies("cluster", "production"),
];

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await check(argv, (l) => lines.push(l), () => undefined);
  return { code, lines };
}

describe("policy:check and report CLIs", function () {
  // Each case spawns the CLI (ts-node compiling the pack) several times: seconds each on a busy 2-core machine.
  this.timeout(120000);
  it("exits 0 and prints nothing for a compliant stack", async () => {
    const stack = writeExport("cluster", cluster());
    assert.deepStrictEqual(await run(["--stack", stack]), { code: 0, lines: [] });
  });

  it("fails when a mandatory rule is violated: exit 1, one line per finding with level, rule id, resource and reason", async () => {
    const stack = writeExport("cluster", [...cluster(), binding("cluster", "production", "oops", { kind: "ClusterRole", name: "admin" }, [DEVELOPERS])]);
    const { code, lines } = await run(["--stack", stack]);
    assert.strictEqual(code, 1);
    assert.strictEqual(lines.length, 1);
    assert.match(lines[0], /^mandatory no-developer-write-in-locked-namespaces RoleBinding:production\/oops: .*Group:developers .* in production via RoleBinding production\/oops → ClusterRole admin \(built-in\)$/);
  });

  it("uses --reference for parity and --config for levels", async () => {
    const staging = writeExport("staging", [deployment("staging", "staging", "core-api", { tag: "aaa1111" })]);
    const production = writeExport("production", [deployment("production", "production", "core-api", { tag: "bbb2222" })]);
    const failing = await run(["--stack", production, "--reference", staging]);
    assert.strictEqual(failing.code, 1);
    assert.match(failing.lines.join("\n"), /^mandatory staging-production-parity Deployment:production\/core-api: .*bbb2222 in production, which staging does not run/m);
    const cfg = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cfg-")), "advisory.json");
    fs.writeFileSync(cfg, JSON.stringify({ all: "advisory" }));
    const advisory = await run(["--stack", production, "--reference", staging, "--config", cfg]);
    assert.strictEqual(advisory.code, 0);
    assert.match(advisory.lines[0], /^advisory staging-production-parity /);
  });

  it("fails when input is unreadable or malformed, with exit 2 and a message naming the file and key, no stack trace", () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bad-")), "bad.json");
    fs.writeFileSync(bad, "{ not json");
    const cfg = path.join(path.dirname(bad), "cfg.json");
    fs.writeFileSync(cfg, JSON.stringify({ "network-isolation": { podCidr: 42 }, "no-such-rule": "mandatory" }));
    const stack = writeExport("cluster", cluster());
    const cases: [string[], RegExp][] = [
      [["--stack", bad], /bad\.json: not valid JSON/],
      [["--stack", "/nonexistent/export.json"], /\/nonexistent\/export\.json: cannot read stack export/],
      [["--stack", stack, "--config", cfg], /^error: \S*cfg\.json: invalid policy config: "network-isolation\.podCidr": must be string, got 42\nerror: \S*cfg\.json: invalid policy config: "no-such-rule": no such rule/],
      [["--stack"], /--stack needs a file/],
    ];
    for (const [argv, want] of cases) {
      const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "policy/cli/check.ts", ...argv], { cwd: ROOT, encoding: "utf8" });
      assert.strictEqual(r.status, 2, r.stderr);
      assert.match(r.stderr, want);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.strictEqual(r.stdout, "");
    }
  });

  it("refuses documents that are not stack exports, naming the file and the field", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shapes-"));
    const urn = (stack: string, type = "kubernetes:core/v1:ConfigMap", name = "x") => `urn:pulumi:${stack}::team-environments::${type}::${name}`;
    const res = (over: Record<string, unknown> = {}) => ({ urn: urn("qa"), type: "kubernetes:core/v1:ConfigMap", outputs: {}, ...over });
    const cases: [string, unknown, RegExp][] = [
      ["array", [], /array\.json: not a `pulumi stack export` document \(expected a JSON object\)$/],
      ["no-version", { deployment: { resources: [] } }, /no-version\.json: not a `pulumi stack export` document \(no "version"\)$/],
      ["version-2", { version: 2, deployment: {} }, /version-2\.json: unsupported export version 2 \(expected 3\)$/],
      ["no-deployment", { version: 3 }, /no "deployment" object/],
      ["resources-object", { version: 3, deployment: { resources: {} } }, /deployment\.resources is not an array$/],
      ["resource-string", { version: 3, deployment: { resources: ["x"] } }, /deployment\.resources\[0\] is not an object$/],
      ["no-urn", { version: 3, deployment: { resources: [res({ urn: 7 })] } }, /deployment\.resources\[0\] has no string "urn"$/],
      ["bad-urn", { version: 3, deployment: { resources: [res({ urn: "qa::x" })] } }, /deployment\.resources\[0\]\.urn is not a Pulumi URN .*: "qa::x"$/],
      ["empty-stack", { version: 3, deployment: { resources: [res({ urn: "urn:pulumi:::p::t::n" })] } }, /\.urn is not a Pulumi URN/],
      ["type-mismatch", { version: 3, deployment: { resources: [res({ type: "kubernetes:core/v1:Secret" })] } }, /resources\[0\]\.type "kubernetes:core\/v1:Secret" does not match its URN's type "kubernetes:core\/v1:ConfigMap"$/],
      ["two-stacks", { version: 3, deployment: { resources: [res(), res({ urn: urn("production") })] } }, /resources\[1\] belongs to stack "production", not "qa"; an export holds one stack$/],
      ["outputs-array", { version: 3, deployment: { resources: [res({ outputs: [] })] } }, /resources\[0\]\.outputs must be an object, got array$/],
      ["protect-string", { version: 3, deployment: { resources: [res({ protect: "yes" })] } }, /resources\[0\]\.protect must be a boolean, got string$/],
    ];
    for (const [name, doc, want] of cases) {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(doc));
      assert.throws(() => loadStackExport(file), (e: Error) => e instanceof InputError && want.test(e.message) && e.message.startsWith(file), name);
    }
    // The component path of a parented resource (`parent$child`) is still the child's type.
    const nested = path.join(dir, "nested.json");
    const type = "kubernetes:core/v1:ConfigMap";
    fs.writeFileSync(nested, JSON.stringify({ version: 3, deployment: { resources: [res({ urn: urn("qa", `team:env:App$${type}`, "a::b") })] } }));
    assert.deepStrictEqual(loadStackExport(nested).resources.map((r) => [r.type, r.name]), [[type, "a::b"]]);
  });

  it("prints one safe line naming the file for binary, control-character and deeply nested input, never an internal error", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unsafe-"));
    const write = (name: string, data: string | Buffer) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, data);
      return file;
    };
    const deep = "[".repeat(5000) + "]".repeat(5000);
    const cases: [string, RegExp][] = [
      [write("binary.json", Buffer.from([0x7b, 0x00, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x07])), /binary\.json: not a stack export: the file is binary \(NUL byte at offset 1\)$/],
      [write("latin1.json", Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d])), /latin1\.json: not a stack export: the file is not UTF-8 text$/],
      [write("escape.json", '{"version": 3, "x": \u001b[2J\u001b]0;pwned\u0007}'), /escape\.json: not valid JSON for a stack export \(Unexpected token '\\u001b'.*\)$/],
      [
        write("deep.json", `{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:qa::p::kubernetes:core/v1:ConfigMap::x","type":"kubernetes:core/v1:ConfigMap","outputs":{"data":${deep}}}]}}`),
        /deep\.json: deployment\.resources\[0\] nests deeper than 100 levels; not a stack export this pack can read$/,
      ],
    ];
    for (const [file, want] of cases) {
      const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "policy/cli/check.ts", "--stack", file], { cwd: ROOT, encoding: "utf8" });
      assert.strictEqual(r.status, 2, r.stderr);
      const lines = r.stderr.split("\n").filter(Boolean);
      assert.strictEqual(lines.length, 1, r.stderr);
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], want);
      assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f]/, "raw control characters reached the terminal");
      assert.doesNotMatch(r.stderr, /internal error/);
    }
  });

  it("report prints the access and reachability matrices in Markdown", async () => {
    const feature = [
      namespace("feature-pr-9", "feature-pr-9", "feature"),
      ...guardrailPolicies("feature-pr-9", "feature-pr-9"),
      binding("feature-pr-9", "feature-pr-9", "developers", { kind: "ClusterRole", name: "edit" }, [DEVELOPERS]),
    ];
    const stack = writeExport("feature-pr-9", feature);
    const clusterFile = writeExport("cluster", cluster());
    let text = "";
    assert.strictEqual(await report(["--stack", stack, "--cluster", clusterFile], (t) => (text += t)), 0);
    assert.match(text, /\| `Group:developers` \| \*\*create, update, patch, delete, deletecollection\*\*; \*\*impersonate\*\*; get, list, watch \| — \| — \|/);
    assert.match(text, /\| \*\*feature-pr-9\*\* \| app ✅ db ✅ \| app ✖ db ✖ \| app ✖ db ✖ \|/);
    assert.match(text, /Developer paths into locked namespaces: \*\*0\*\*/);
  });
});
