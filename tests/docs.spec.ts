import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { KEYS, KeySpec } from "../config/keys";
import { CONVENTIONS_DOC, renderConventions } from "../scripts/docs/conventions";
import { ROOT } from "./support/program";

describe("docs/conventions.md", function () {
  this.timeout(60000);

  it("is what npm run docs generates from the code (policy/conventions.ts, the key table, the stack outputs)", async () => {
    const committed = fs.readFileSync(CONVENTIONS_DOC, "utf8");
    const generated = await renderConventions();
    const firstDiff = [...generated].findIndex((ch, i) => committed[i] !== ch);
    assert.ok(
      committed === generated,
      `docs/conventions.md is out of date (first difference at line ${generated.slice(0, firstDiff).split("\n").length}): run npm run docs`,
    );
  });
});

describe("README configuration table", () => {
  const APP_STACKS = ["feature", "qa", "staging", "production"];
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("| key | stacks | default | meaning |");
  const lines = readme.slice(start).split("\n").slice(2);
  const rows = lines
    .slice(0, lines.findIndex((l) => !l.startsWith("|")))
    .map((line) => line.split(" | ").map((c) => c.replace(/^\| ?| ?\|$/g, "")));
  const documented = new Map<string, { stacks: string; def: string }>();
  for (const [keys, stacks, def] of rows) {
    for (const k of keys.match(/`[^`]+`/g) ?? []) documented.set(k.slice(1, -1), { stacks, def });
  }

  it("documents every key of the key table, and no other", () => {
    assert.ok(start >= 0, "README.md has no configuration table");
    assert.deepStrictEqual([...documented.keys()].sort(), Object.keys(KEYS).sort());
  });

  it("gives each key the stacks and the default the key table gives it", () => {
    for (const [key, spec] of Object.entries(KEYS as Record<string, KeySpec>)) {
      const row = documented.get(key);
      if (row === undefined) continue;
      const scopes = spec.scopes === "all" ? ["all"] : [...spec.scopes];
      const stacks = row.stacks.split(/,\s*/).flatMap((s) => (s === "app stacks" ? APP_STACKS : [s]));
      assert.deepStrictEqual(stacks.sort(), scopes.sort(), `README: stacks of ${key}`);
      if (spec.default !== undefined) assert.ok(row.def.includes(`\`${spec.default}\``), `README: default of ${key} should be \`${spec.default}\`, is ${row.def}`);
    }
  });
});
