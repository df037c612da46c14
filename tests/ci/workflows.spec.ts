import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** House rules for the workflows that actionlint does not check. */
const dir = join(__dirname, "..", "..", ".github", "workflows");
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

interface Step { uses?: string; run?: string; env?: Record<string, string> }
interface Job {
  env?: Record<string, string>;
  steps?: Step[];
  concurrency?: { group: string; "cancel-in-progress": boolean };
  environment?: string | { name: string };
  permissions?: Record<string, string>;
}
interface Workflow { permissions?: Record<string, string>; jobs: Record<string, Job> }

const load = (file: string) => ({ text: readFileSync(join(dir, file), "utf8"), wf: parse(readFileSync(join(dir, file), "utf8")) as Workflow });
const jobs = files.flatMap((file) => Object.entries(load(file).wf.jobs).map(([id, job]) => ({ file, id, job })));
const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? "").join("\n");
const MUTATING = /scripts\/ci\/(deploy|destroy-feature)\.ts/;
const PULUMI = /scripts\/ci\/(deploy|destroy-feature|drift|pr-preview|promotion-check)\.ts/;
const BACKEND_KEYS = ["PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_SECRETS_PROVIDER"];

describe("workflows", () => {
  it("exist", () => {
    assert.deepEqual(files.sort(), ["ci-scripts.yml", "drift.yml", "feature-environment.yml", "pr-preview.yml", "production.yml", "release.yml"]);
  });

  for (const file of files) {
    it(`${file}: least privilege by default (top-level permissions: contents read)`, () => {
      assert.deepEqual(load(file).wf.permissions, { contents: "read" });
    });

    it(`${file}: never spells a stack name pattern itself`, () => {
      assert.doesNotMatch(load(file).text, /feature-pr-/);
    });
  }

  it("pins every action to a major version or a commit", () => {
    for (const { file, id, job } of jobs) {
      for (const step of job.steps ?? []) {
        if (step.uses === undefined || step.uses.startsWith("./")) continue;
        assert.match(step.uses, /@(v\d+|[0-9a-f]{40})$/, `${file} ${id}: ${step.uses}`);
      }
    }
  });

  it("keeps shell short: each run is one command calling a script", () => {
    for (const { file, id, job } of jobs) {
      for (const step of job.steps ?? []) {
        if (step.run === undefined) continue;
        assert.ok(step.run.trim().split("\n").length <= 2, `${file} ${id}: ${step.run}`);
        assert.doesNotMatch(step.run, /\$\{\{\s*(github\.event|inputs)\./, `${file} ${id}: untrusted input inline in run`);
      }
    }
  });

  it("runs at most one pulumi up per stack: mutating jobs share a never-cancelled group per stack", () => {
    const mutating = jobs.filter(({ job }) => MUTATING.test(runs(job)));
    assert.equal(mutating.length, 5);
    for (const { file, id, job } of mutating) {
      assert.match(job.concurrency?.group ?? "", /^pulumi-stack-/, `${file} ${id}`);
      assert.equal(job.concurrency?.["cancel-in-progress"], false, `${file} ${id}`);
    }
  });

  it("passes the same backend variables to every job that runs pulumi", () => {
    const reference = jobs.find(({ id }) => id === "qa")!.job.env!;
    for (const { file, id, job } of jobs.filter(({ job }) => PULUMI.test(runs(job)))) {
      for (const key of BACKEND_KEYS) assert.equal(job.env?.[key], reference[key], `${file} ${id} ${key}`);
    }
  });

  it("gates staging and production by their GitHub environments", () => {
    const envName = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);
    const staging = jobs.find(({ file, id }) => file === "release.yml" && id === "staging")!.job;
    const production = jobs.find(({ file, id }) => file === "production.yml" && id === "deploy")!.job;
    assert.equal(envName(staging), "staging");
    assert.equal(envName(production), "production");
    const steps = runs(production);
    assert.ok(steps.indexOf("promotion-check.ts") < steps.indexOf("deploy.ts"), "promotion check runs before the deploy");
    assert.match(steps, /deploy\.ts --stack production .*--rollback/);
  });
});
