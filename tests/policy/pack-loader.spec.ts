/**
 * How the engine loads the pack: `pulumi … --policy-pack policy` runs @pulumi/pulumi's
 * run-policy-pack on the pack directory, which registers ts-node with a type check. The pack's entry
 * (policy/pack.js) must leave every .ts file to sucrase. A preload script reports each file ts-node
 * compiles; the pack is run the engine's way until it prints the analyzer's port.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const POLICY = path.join(__dirname, "..", "..", "policy");
const RUN_POLICY_PACK = path.join(POLICY, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");

// Wraps ts-node's register(): every file its service compiles is written to stderr.
const PROBE = `
const Module = require("module");
const load = Module._load;
Module._load = function () {
  const exported = load.apply(this, arguments);
  if (exported && typeof exported.register === "function" && typeof exported.create === "function" && !exported.__probed) {
    exported.__probed = true;
    const register = exported.register;
    exported.register = function () {
      const service = register.apply(this, arguments);
      const compile = service.compile;
      service.compile = function (code, file) {
        process.stderr.write("ts-node compiled " + file + "\\n");
        return compile.apply(this, arguments);
      };
      process.stderr.write("ts-node registered\\n");
      return service;
    };
  }
  return exported;
};
`;

interface PackRun {
  port: number;
  stderr: string;
}

const PORT_TIMEOUT_MS = 45_000;

/** Runs the pack as the engine does (cwd = pack, program = `program`) until it prints its port; always stops it. */
function runPack(program: string, probe: string): Promise<PackRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", probe, RUN_POLICY_PACK, "127.0.0.1:1", program], { cwd: POLICY, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const finish = (result: PackRun | Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(new Error(`run-policy-pack ${program} printed no port in ${PORT_TIMEOUT_MS / 1000} s:\n${stdout}${stderr}`)), PORT_TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      // The analyzer prints its port on a line of its own.
      const port = /^(\d+)\n/m.exec(stdout);
      if (port) finish({ port: Number(port[1]), stderr });
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => finish(new Error(`run-policy-pack ${program} exited (${code}) before printing a port:\n${stdout}${stderr}`)));
  });
}

describe("policy pack loader (policy/pack.js)", function () {
  this.timeout(60000);
  let probe: string;

  before(() => {
    if (!fs.existsSync(RUN_POLICY_PACK)) throw new Error(`${RUN_POLICY_PACK} is missing: run bash scripts/policy-deps.sh`);
    probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pack-loader-")), "probe.js");
    fs.writeFileSync(probe, PROBE);
  });

  after(() => probe && fs.rmSync(path.dirname(probe), { recursive: true, force: true }));

  it("is the pack's main, with the very sucrase the program loads through", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(POLICY, "package.json"), "utf8"));
    const root = JSON.parse(fs.readFileSync(path.join(POLICY, "..", "package.json"), "utf8"));
    assert.strictEqual(pkg.main, "pack.js");
    assert.match(pkg.dependencies.sucrase, /^\d+\.\d+\.\d+$/, "pinned exactly");
    assert.strictEqual(pkg.dependencies.sucrase, root.dependencies.sucrase, "policy/package.json vs package.json");
  });

  it("serves the pack with ts-node registered but compiling nothing", async () => {
    const run = await runPack(".", probe);
    assert.ok(run.port > 0);
    assert.match(run.stderr, /ts-node registered/, "the probe must see run-policy-pack's ts-node");
    assert.doesNotMatch(run.stderr, /ts-node compiled/);
  });

  it("control: index.ts run directly is type-compiled by ts-node", async () => {
    const run = await runPack("index.ts", probe);
    assert.ok(run.port > 0);
    assert.match(run.stderr, /ts-node compiled .*policy\/index\.ts/);
  });
});
