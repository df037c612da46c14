/**
 * promtool and amtool for the monitoring tests, from scripts/debian-tools.sh (Debian's
 * packages, unpacked into the cache once), and a runner that keeps their output for the assertion.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { ROOT } from "./program";

/** Paths of the two binaries. */
export interface MonitoringTools {
  promtool: string;
  amtool: string;
}

let tools: MonitoringTools | undefined;

/** Fetches (first run) or finds the tools; fails with the script's own message. */
export function monitoringTools(): MonitoringTools {
  if (tools) return tools;
  const r = spawnSync("bash", [path.join(ROOT, "scripts", "debian-tools.sh"), "prometheus:promtool", "prometheus-alertmanager:amtool"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`scripts/debian-tools.sh failed (exit ${r.status}): ${r.stderr.trim()}`);
  const dir = r.stdout.trim().split("\n").pop() ?? "";
  tools = { promtool: path.join(dir, "promtool"), amtool: path.join(dir, "amtool") };
  return tools;
}

/** Result of one tool run. */
export interface ToolRun {
  code: number | null;
  /** stdout and stderr together, for assertion messages. */
  output: string;
  stdout: string;
}

/** Runs a tool in `cwd`, stdout and stderr together. */
export function runTool(binary: string, args: string[], cwd: string): ToolRun {
  const r = spawnSync(binary, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}
