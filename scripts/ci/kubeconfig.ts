/**
 * Materialises a kubeconfig secret for later steps: writes it to a 0600 file under RUNNER_TEMP
 * and exports KUBECONFIG. Accepts the YAML itself or its base64 encoding. Never prints it.
 *
 * CLI: KUBECONFIG_DATA=… kubeconfig.ts --name <label>
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CiError, envValue, exportEnv, parseFlags, requireFlag, runCli } from "./cli";

/** Returns the kubeconfig YAML from raw YAML or base64 of it; the error names the secret, never its content. */
export function decodeKubeconfig(value: string | undefined, secretName: string): string {
  const text = value?.trim() ?? "";
  if (text === "") throw new CiError(`secret ${secretName} is empty or not available to this job`, 2);
  const looksLikeConfig = (s: string) => /(^|\n)\s*(apiVersion|clusters|kind)\s*:/.test(s);
  if (looksLikeConfig(text)) return `${text}\n`;
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const decoded = Buffer.from(text.replace(/\s+/g, ""), "base64").toString("utf8");
    if (looksLikeConfig(decoded)) return decoded.endsWith("\n") ? decoded : `${decoded}\n`;
  }
  throw new CiError(`secret ${secretName} is neither a kubeconfig nor base64 of one`, 2);
}

async function main(argv: string[]): Promise<void> {
  const usage = "kubeconfig.ts --name <label>   (reads KUBECONFIG_DATA)";
  const flags = parseFlags(argv, { name: { type: "string" } }, usage);
  const name = requireFlag(flags.name, "name", usage);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new CiError(`invalid --name "${name}": letters, digits, - and _ only`, 2);
  const config = decodeKubeconfig(envValue("KUBECONFIG_DATA"), name);
  const path = join(envValue("RUNNER_TEMP") ?? tmpdir(), `kubeconfig-${name}`);
  writeFileSync(path, config, { mode: 0o600 });
  exportEnv("KUBECONFIG", path);
  process.stdout.write(`kubeconfig from ${name} written to ${path}\n`);
}

if (require.main === module) runCli(main);
