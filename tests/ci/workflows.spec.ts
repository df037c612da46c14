import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  environmentMatchesStack,
  environmentOf,
  idTokenOnlyInEnvironments,
  longLivedSecretsOnlyGated,
  noSecretsOnBranchTriggers,
  privilegedTriggersRunNoPrCode,
  protectedEnvironmentsOnlyFromMain,
  RULES,
  runsOf,
  secretsOnlyInEnvironments,
  type Job,
  type Rule,
  type Workflow,
} from "./workflow-rules";

/** House rules for the workflows that actionlint does not check, and the security rules of workflow-rules.ts. */
const dir = join(__dirname, "..", "..", ".github", "workflows");
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

const load = (file: string) => ({ text: readFileSync(join(dir, file), "utf8"), wf: parse(readFileSync(join(dir, file), "utf8")) as Workflow });
const jobs = files.flatMap((file) => Object.entries(load(file).wf.jobs).map(([id, job]) => ({ file, id, job })));
const runs = (job: Job) => runsOf(job);
const MUTATING = /scripts\/ci\/(deploy|destroy-feature)\.ts/;
const PULUMI = /scripts\/ci\/(deploy|destroy-feature|drift)\.ts/;
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

  it("passes the same backend variables to every step that runs pulumi on its own environment's state", () => {
    const reference = jobs.find(({ id }) => id === "qa")!.job.env!;
    for (const { file, id, job } of jobs) {
      for (const step of job.steps ?? []) {
        // The promotion check reads another environment's state (staging's, read-only): its own keys.
        if (!PULUMI.test(step.run ?? "") || /promotion-check\.ts/.test(step.run ?? "")) continue;
        const env = { ...job.env, ...step.env };
        for (const key of BACKEND_KEYS) assert.equal(env[key], reference[key], `${file} ${id} ${key}`);
      }
    }
  });

  it("gates staging and production by their GitHub environments", () => {
    const envName = environmentOf;
    const staging = jobs.find(({ file, id }) => file === "release.yml" && id === "staging")!.job;
    const production = jobs.find(({ file, id }) => file === "production.yml" && id === "deploy")!.job;
    assert.equal(envName(staging), "staging");
    assert.equal(envName(production), "production");
    const steps = runs(production);
    assert.ok(steps.indexOf("promotion-check.ts") < steps.indexOf("deploy.ts"), "promotion check runs before the deploy");
    assert.match(steps, /deploy\.ts --stack production .*--rollback/);
  });
});

/** A compliant baseline: a gated deploy on push to main and a secret-free PR check. */
const GOOD = `
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm test
  qa:
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    environment: qa
    env:
      PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
    steps:
      - uses: actions/checkout@v4
      - run: npx ts-node scripts/ci/deploy.ts --stack qa --image-tag "$SHA"
`;

/** Each rule with a small workflow that breaks it, and the violation it must report. */
const BAD: Record<string, { rule: Rule; yaml: string; expect: RegExp }> = {
  "a secret in a job without an environment": {
    rule: secretsOnlyInEnvironments,
    yaml: `
on: { push: { branches: [main] } }
jobs:
  deploy:
    runs-on: ubuntu-latest
    env: { TOKEN: "\${{ secrets.SOME_TOKEN }}" }
    steps: [{ run: echo }]
`,
    expect: /deploy: references SOME_TOKEN without an environment/,
  },
  "a secret in a pull_request workflow, even behind an environment": {
    rule: noSecretsOnBranchTriggers,
    yaml: `
on: pull_request
jobs:
  preview:
    runs-on: ubuntu-latest
    environment: preview
    steps:
      - run: npx ts-node scripts/ci/pr-preview.ts
        env: { PULUMI_CONFIG_PASSPHRASE: "\${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" }
`,
    expect: /preview: references PULUMI_CONFIG_PASSPHRASE in a workflow run by pull_request/,
  },
  "a secret in a workflow any branch's push runs": {
    rule: noSecretsOnBranchTriggers,
    yaml: `
on: push
jobs:
  steal:
    runs-on: ubuntu-latest
    environment: qa
    steps: [{ run: echo, env: { X: "\${{ secrets.KUBECONFIG }}" } }]
`,
    expect: /steal: references KUBECONFIG in a workflow run by push \(not main only\)/,
  },
  "a dispatch job with secrets not guarded to main": {
    rule: noSecretsOnBranchTriggers,
    yaml: `
on: workflow_dispatch
jobs:
  drift:
    runs-on: ubuntu-latest
    environment: drift-qa
    env: { P: "\${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" }
    steps: [{ run: echo }]
`,
    expect: /drift: references PULUMI_CONFIG_PASSPHRASE on workflow_dispatch without if/,
  },
  "pull_request_target checking out the PR head": {
    rule: privilegedTriggersRunNoPrCode,
    yaml: `
on: pull_request_target
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: preview
    steps:
      - uses: actions/checkout@v4
        with: { ref: "\${{ github.event.pull_request.head.sha }}" }
      - run: npm ci
`,
    expect: /deploy: step actions\/checkout@v4 takes the PR head in with:[\s\S]*installs dependencies after checking out the PR: npm ci/,
  },
  "pull_request_target fetching the PR in shell, or naming the head inline": {
    rule: privilegedTriggersRunNoPrCode,
    yaml: `
on: pull_request_target
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: git fetch origin "\${{ github.head_ref }}" && git checkout FETCH_HEAD
      - run: npm install
`,
    expect: /a run step fetches or names the PR head[\s\S]*installs dependencies after checking out the PR: npm install/,
  },
  "workflow_run checking out the triggering run's head": {
    rule: privilegedTriggersRunNoPrCode,
    yaml: `
on: { workflow_run: { workflows: [PR preview], types: [completed] } }
jobs:
  comment:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { ref: "\${{ github.event.workflow_run.head_sha }}" }
`,
    expect: /comment: step actions\/checkout@v4 takes the PR head/,
  },
  "production reachable from a tag push": {
    rule: protectedEnvironmentsOnlyFromMain,
    yaml: `
on: { push: { tags: ["v*"] } }
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: npx ts-node scripts/ci/on-main.ts --sha "$SHA"
      - run: npx ts-node scripts/ci/deploy.ts --stack production --image-tag "$SHA"
`,
    expect: /deploy: production job runs on pushes to refs other than main/,
  },
  "production dispatchable from any branch, without the on-main check": {
    rule: protectedEnvironmentsOnlyFromMain,
    yaml: `
on: workflow_dispatch
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: { name: production }
    steps:
      - uses: actions/checkout@v4
        with: { ref: "\${{ inputs.image_sha }}" }
      - run: npx ts-node scripts/ci/deploy.ts --stack production --image-tag "$SHA"
`,
    expect: /without if: github\.ref == 'refs\/heads\/main'[\s\S]*does not run on-main\.ts before deploying/,
  },
  "production checking out the requested commit before on-main.ts accepted it": {
    rule: protectedEnvironmentsOnlyFromMain,
    yaml: `
on: workflow_dispatch
jobs:
  deploy:
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
        with: { ref: "\${{ inputs.image_sha }}" }
      - run: npx ts-node scripts/ci/on-main.ts --sha "$SHA"
      - run: npx ts-node scripts/ci/deploy.ts --stack production --image-tag "$SHA"
`,
    expect: /checks out the requested commit before on-main\.ts has accepted it/,
  },
  "staging in a workflow that pull requests also trigger": {
    rule: protectedEnvironmentsOnlyFromMain,
    yaml: `
on: [push, pull_request]
jobs:
  staging:
    runs-on: ubuntu-latest
    environment: staging
    steps: [{ run: npx ts-node scripts/ci/deploy.ts --stack staging --image-tag "$SHA" }]
`,
    expect: /staging: staging job in a workflow also triggered by pull_request/,
  },
  "production deployed with staging's environment": {
    rule: environmentMatchesStack,
    yaml: `
on: { push: { branches: [main] } }
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: staging
    steps: [{ run: npx ts-node scripts/ci/deploy.ts --stack production --image-tag "$SHA" }]
`,
    expect: /deploy: deploys production from environment staging, expected production/,
  },
  "a feature stack deployed without the preview environment": {
    rule: environmentMatchesStack,
    yaml: `
on: pull_request_target
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: qa
    steps:
      - run: npx ts-node scripts/ci/deploy.ts --stack "$STACK" --image-tag "$SHA" --create
      - run: npx ts-node scripts/ci/destroy-feature.ts --event
`,
    expect: /deploys feature from environment qa, expected preview/,
  },
  "a kubeconfig read outside an environment, and a passphrase at workflow level": {
    rule: longLivedSecretsOnlyGated,
    yaml: `
on: schedule
env: { PULUMI_CONFIG_PASSPHRASE: "\${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" }
jobs:
  drift:
    runs-on: ubuntu-latest
    steps: [{ run: echo, env: { K: "\${{ secrets.PRODUCTION_KUBECONFIG }}", T: "\${{ secrets.GITHUB_TOKEN }}" } }]
`,
    expect: /workflow-level env references PULUMI_CONFIG_PASSPHRASE[\s\S]*drift: references PRODUCTION_KUBECONFIG outside an environment/,
  },
  "every secret at once (toJSON(secrets)) in a pull_request workflow": {
    rule: noSecretsOnBranchTriggers,
    yaml: `
on: pull_request
jobs:
  dump:
    runs-on: ubuntu-latest
    steps: [{ run: echo, env: { ALL: "\${{ toJSON(secrets) }}" } }]
`,
    expect: /dump: references \[all\] in a workflow run by pull_request/,
  },
  "pull_request_target checking out the PR's merge commit": {
    rule: privilegedTriggersRunNoPrCode,
    yaml: `
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { ref: "\${{ github.event.pull_request.merge_commit_sha }}" }
`,
    expect: /build/,
  },
  "an OIDC token for a job outside any environment": {
    rule: idTokenOnlyInEnvironments,
    yaml: `
on: { push: { branches: [main] } }
jobs:
  mint:
    runs-on: ubuntu-latest
    permissions: { contents: read, id-token: write }
    steps: [{ run: echo }]
`,
    expect: /mint: id-token: write outside an environment/,
  },
  "a dynamic secret lookup outside an environment": {
    rule: longLivedSecretsOnlyGated,
    yaml: `
on: schedule
jobs:
  drift:
    runs-on: ubuntu-latest
    steps: [{ run: echo, env: { K: "\${{ secrets[matrix.name] }}" } }]
`,
    expect: /drift: references \[dynamic\] outside an environment/,
  },
};

describe("workflow security rules", () => {
  for (const [name, rule] of Object.entries(RULES)) {
    it(`rule ${name}: holds for every workflow file`, () => {
      for (const file of files) assert.deepEqual(rule(load(file).wf), [], file);
    });

    it(`rule ${name}: passes the compliant baseline`, () => {
      assert.deepEqual(rule(parse(GOOD) as Workflow), []);
    });
  }

  for (const [name, { rule, yaml, expect }] of Object.entries(BAD)) {
    it(`fails when ${name}`, () => {
      const violations = rule(parse(yaml) as Workflow);
      assert.ok(violations.length > 0, "the rule reports nothing");
      assert.match(violations.join("\n"), expect);
    });
  }

  it("GITHUB_TOKEN alone needs no environment", () => {
    const wf = parse(`
on: pull_request
jobs:
  lint:
    runs-on: ubuntu-latest
    steps: [{ run: echo, env: { T: "\${{ secrets.GITHUB_TOKEN }}", U: "\${{ github.token }}" } }]
`) as Workflow;
    for (const rule of Object.values(RULES)) assert.deepEqual(rule(wf), []);
  });

  it("every job that holds production credentials is gated by the production environment", () => {
    for (const { file, id, job } of jobs) {
      if (/production/i.test(JSON.stringify(job.steps ?? [])) && MUTATING.test(runs(job))) {
        assert.equal(environmentOf(job), "production", `${file} ${id}`);
      }
    }
  });
});
