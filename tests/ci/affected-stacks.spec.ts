import { strict as assert } from "node:assert";
import { affectedStacks, parseBaseRef } from "../../scripts/ci/affected-stacks";

const ALL = ["cluster", "qa", "staging", "production"];

describe("affected-stacks", () => {
  it("previews every long-lived stack when the program changes", () => {
    for (const file of ["index.ts", "config/app.ts", "base/profiles.ts", "rbac/rules.ts", "components/app.ts", "monitoring/alerts.ts", "some-new-folder/x.ts", "policy/rules/x.ts", "Pulumi.yaml", "package-lock.json"]) {
      assert.deepEqual(affectedStacks(["docs/x.md", file]), ALL, file);
    }
  });

  it("previews only the stack whose config file changed", () => {
    assert.deepEqual(affectedStacks(["Pulumi.staging.yaml"]), ["staging"]);
    assert.deepEqual(affectedStacks(["Pulumi.production.yaml", "Pulumi.qa.yaml"]), ["qa", "production"]);
  });

  it("previews nothing for docs, tests, CI scripts and workflows", () => {
    assert.deepEqual(affectedStacks(["docs/ci-cd.md", "tests/ci/a.spec.ts", "scripts/ci/deploy.ts", ".github/workflows/qa.yml", "README.md", ""]), []);
  });

  it("ignores a stack file that belongs to no long-lived stack", () => {
    assert.deepEqual(affectedStacks(["Pulumi.feature-pr-4.yaml", "Pulumi.dev.yaml"]), []);
  });

  it("fails when the base ref could smuggle an option or a range", () => {
    assert.equal(parseBaseRef("origin/main"), "origin/main");
    assert.throws(() => parseBaseRef("--output=/tmp/x"), /invalid base ref "--output=\/tmp\/x"/);
    assert.throws(() => parseBaseRef("main..evil"), /invalid base ref/);
  });
});
