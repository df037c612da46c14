/**
 * A stack's config read from the project's files, as the engine would pass it to the program:
 * Pulumi.yaml's project values first, then Pulumi.<stack>.yaml's. For code that needs a stack's
 * settings without running the engine (tests under mocks, the local scripts). Secure values are
 * never decrypted: they arrive as the JSON of their `{secure: …}` object.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE } from "./reader";

/** `project:key` → string (JSON for structured values), from `projectDir`'s Pulumi.yaml and the stack's file. */
export function configFromFiles(projectDir: string, stack: string): Record<string, string> {
  const result: Record<string, string> = {};
  const put = (key: string, value: unknown) => {
    result[key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  };
  const project = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
  for (const [key, spec] of Object.entries<unknown>(project?.config ?? {})) {
    if (spec && typeof spec === "object" && "value" in spec) put(key, spec.value);
    else if (spec && typeof spec === "object" && "default" in spec) put(key, spec.default);
    else put(key, spec);
  }
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (fs.existsSync(file)) {
    for (const [key, value] of Object.entries<unknown>(parse(fs.readFileSync(file, "utf8"))?.config ?? {})) put(key, value);
  }
  return result;
}

/** The keys of this project's namespace, without the prefix (what `parseSettings` takes). */
export function ownKeys(config: Record<string, string>): Record<string, string> {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  return raw;
}
