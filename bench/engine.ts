/**
 * The engine's fixed cost against its floor, without a cluster: `pulumi preview` of this project
 * with an empty program (this Pulumi.yaml and its runtime options, this node_modules, so the
 * same language host, loader and plugin discovery; no resources) against a bare `pulumi version`,
 * and the same empty program importing the SDKs the real one imports (what loading them costs
 * before the first resource). Alternating rounds, medians. `npm run bench:e2e` shows the whole
 * preview of a real stack.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { cacheDir, localWorkspaceEnv, ROOT, run, toolchainEnv } from "../scripts/local/env";
import { benchRounds, median, seconds } from "./measure";

const STACK = "bench";

/** The SDKs the program imports (index.ts and components/). */
const SDKS = ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/random", "@pulumi/github"];

/** A copy of this project whose program (`program`) registers nothing, with its own file backend. */
function emptyProject(toolchain: NodeJS.ProcessEnv, name: string, program: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = path.join(cacheDir(), "workspaces", `bench-engine-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const project = path.join(dir, "project");
  fs.mkdirSync(project, { recursive: true });
  const pulumiYaml = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
  // The project's name and runtime (language host options, loader); not its stack config.
  fs.writeFileSync(path.join(project, "Pulumi.yaml"), stringify({ name: pulumiYaml.name, runtime: pulumiYaml.runtime }));
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "bench-engine", private: true, main: "index.ts" }));
  fs.writeFileSync(path.join(project, "index.ts"), `// Registers nothing.\n${program}export {};\n`);
  // The runtime's nodeargs load it from the project directory; it loads policy/ts-loader.js.
  fs.copyFileSync(path.join(ROOT, "program-loader.js"), path.join(project, "program-loader.js"));
  fs.symlinkSync(path.join(ROOT, "policy"), path.join(project, "policy"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"));
  const env = localWorkspaceEnv(dir, toolchain);
  run("pulumi stack init", "pulumi", ["stack", "init", STACK, "--non-interactive"], { cwd: project, env });
  return { dir: project, env };
}

/** Runs the engine benchmark (builds the toolchain first if it is not cached) and returns its report lines. */
export function benchEngine(): string[] {
  const rounds = benchRounds();
  const toolchain = toolchainEnv();
  const empty = emptyProject(toolchain, "empty", "");
  const imports = emptyProject(toolchain, "imports", SDKS.map((m) => `import "${m}";\n`).join(""));
  const preview = (p: { dir: string; env: NodeJS.ProcessEnv }) => () =>
    run("pulumi preview (empty program)", "pulumi", ["preview", "--stack", STACK, "--non-interactive"], { cwd: p.dir, env: p.env });
  const version = () => run("pulumi version", "pulumi", ["version"], { cwd: empty.dir, env: empty.env });
  // Warm-up: page cache and plugin discovery, once per program.
  preview(empty)();
  preview(imports)();
  const times = { empty: [] as number[], imports: [] as number[], version: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    times.empty.push(seconds(preview(empty)));
    times.imports.push(seconds(preview(imports)));
    times.version.push(seconds(version));
  }
  const [e, i, v] = [median(times.empty), median(times.imports), median(times.version)];
  return [
    `engine fixed cost, median of ${rounds}: empty pulumi preview of this project ${e.toFixed(2)} s, ` +
      `bare pulumi version ${v.toFixed(2)} s (the floor), ratio ${(e / v).toFixed(1)}`,
    `  the same empty program importing ${SDKS.join(", ")}: ${i.toFixed(2)} s (${(i - e).toFixed(2)} s for the imports)`,
  ];
}
