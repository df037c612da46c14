import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
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

describe("policy:check and report CLIs", () => {
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
      [["--stack", stack, "--config", cfg], /cfg\.json: invalid policy config:\n {2}"network-isolation\.podCidr": must be string, got 42\n {2}"no-such-rule": no such rule/],
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
