import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cacheDir, ROOT } from "../scripts/local/env";

/** What scripts/lib/cache.sh computes under `env` (a clean environment plus these variables). */
function shellCacheRoot(env: Record<string, string>): string {
  const r = spawnSync("bash", ["-c", 'source scripts/lib/cache.sh && printf %s "$TEAM_ENV_CACHE_ROOT"'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    encoding: "utf8",
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout;
}

describe("cache root", () => {
  const cases: Record<string, string>[] = [
    { HOME: "/home/dev" },
    { HOME: "/home/dev", XDG_CACHE_HOME: "/xdg" },
    { HOME: "/home/dev", XDG_CACHE_HOME: "/xdg", TEAM_ENV_CACHE: "/ci/cache" },
    { HOME: "/home/dev", XDG_CACHE_HOME: "", TEAM_ENV_CACHE: "" },
  ];
  for (const env of cases) {
    it(`shell and TypeScript agree for ${JSON.stringify(env)}`, () => {
      assert.strictEqual(cacheDir(env), shellCacheRoot(env));
    });
  }

  it("is defined once: every shell script sources scripts/lib/cache.sh instead of repeating the default", () => {
    const scripts = spawnSync("git", ["ls-files", "*.sh", ".ci/run"], { cwd: ROOT, encoding: "utf8" })
      .stdout.split("\n")
      .filter((f) => f && f !== "scripts/lib/cache.sh");
    assert.ok(scripts.length >= 5, `found only ${scripts.length} scripts`);
    for (const f of scripts) {
      const text = fs.readFileSync(path.join(ROOT, f), "utf8");
      assert.ok(!/\$\{XDG_CACHE_HOME:-/.test(text), `${f} repeats the cache-root default; source scripts/lib/cache.sh`);
      if (/TEAM_ENV_CACHE\b/.test(text.replace(/^#.*$/gm, ""))) {
        assert.ok(/source .*lib\/cache\.sh/.test(text), `${f} reads TEAM_ENV_CACHE without sourcing scripts/lib/cache.sh`);
      }
    }
  });
});
