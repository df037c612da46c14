import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AUTOMATIC_LOG_OFF, cacheDir, LocalError, pulumiHome, ROOT } from "../scripts/local/env";

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

describe("pulumiHome (a workspace's PULUMI_HOME on the toolchain's plugins)", () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-home-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("links plugins to the real plugin directory, replacing a directory or a link already there", () => {
    const plugins = path.join(tmp, "plugins-real");
    fs.mkdirSync(path.join(plugins, "resource-random-v4.21.1"), { recursive: true });
    fs.symlinkSync(plugins, path.join(tmp, "plugins-link"));
    const home = path.join(tmp, "ws", "pulumi-home");
    fs.mkdirSync(path.join(home, "plugins", "old"), { recursive: true });
    for (const given of [plugins, path.join(tmp, "plugins-link")]) {
      assert.strictEqual(pulumiHome(home, { TEAM_ENV_PULUMI_PLUGINS: given }), home);
      assert.strictEqual(fs.readlinkSync(path.join(home, "plugins")), fs.realpathSync(plugins));
      assert.deepStrictEqual(fs.readdirSync(path.join(home, "plugins")), ["resource-random-v4.21.1"]);
    }
    assert.ok(fs.existsSync(path.join(plugins, "resource-random-v4.21.1")), "the plugins themselves are untouched");
  });

  it("puts a file where the CLI's automatic log directory would be, and a directory back with TEAM_ENV_PULUMI_LOGS=1", () => {
    const plugins = path.join(tmp, "plugins");
    fs.mkdirSync(plugins);
    const home = path.join(tmp, "pulumi-home");
    const logs = path.join(home, "logs");
    const off = () => fs.statSync(logs).isFile() && fs.readFileSync(logs, "utf8") === AUTOMATIC_LOG_OFF;
    pulumiHome(home, { TEAM_ENV_PULUMI_PLUGINS: plugins });
    assert.ok(off(), "a new workspace: off");
    pulumiHome(home, { TEAM_ENV_PULUMI_PLUGINS: plugins, TEAM_ENV_PULUMI_LOGS: "1" });
    assert.ok(fs.statSync(logs).isDirectory() && fs.readdirSync(logs).length === 0, "kept: an empty directory the CLI writes into");
    fs.writeFileSync(path.join(logs, "organization+team-environments+qa-20261207T163038.log"), "encrypted");
    pulumiHome(home, { TEAM_ENV_PULUMI_PLUGINS: plugins, TEAM_ENV_PULUMI_LOGS: "1" });
    assert.deepStrictEqual(fs.readdirSync(logs), ["organization+team-environments+qa-20261207T163038.log"], "kept: its logs stay");
    for (const value of [undefined, "", "0", "true"]) {
      pulumiHome(home, { TEAM_ENV_PULUMI_PLUGINS: plugins, TEAM_ENV_PULUMI_LOGS: value });
      assert.ok(off(), `TEAM_ENV_PULUMI_LOGS=${value}: off, the earlier logs gone`);
    }
    fs.rmSync(logs);
    fs.symlinkSync(tmp, logs);
    pulumiHome(home, { TEAM_ENV_PULUMI_PLUGINS: plugins });
    assert.ok(off() && !fs.lstatSync(logs).isSymbolicLink(), "a link there is replaced, not followed");
    assert.ok(fs.existsSync(plugins), "the directory it pointed to is untouched");
  });

  it("refuses in one line a missing plugin directory, and one inside the home it would be linked into", () => {
    const home = path.join(tmp, "pulumi-home");
    const oneLine = (re: RegExp) => (e: Error) => e instanceof LocalError && re.test(e.message) && !e.message.includes("\n");
    assert.throws(() => pulumiHome(home, {}), oneLine(/TEAM_ENV_PULUMI_PLUGINS \(unset\) is not a plugin directory: run bash scripts\/toolchain.sh/));
    fs.mkdirSync(path.join(home, "plugins"), { recursive: true });
    assert.throws(() => pulumiHome(home, { TEAM_ENV_PULUMI_PLUGINS: path.join(home, "plugins") }), oneLine(/lies inside .*pulumi-home, the PULUMI_HOME it would be linked into/));
    assert.ok(fs.statSync(path.join(home, "plugins")).isDirectory(), "nothing changed");
  });
});
