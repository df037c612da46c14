import { strict as assert } from "node:assert";
import { backendProblems, previewArgs, stackInitArgs, stackListed, upArgs } from "../../scripts/ci/pulumi";

describe("pulumi", () => {
  it("accepts each supported backend with its secrets", () => {
    assert.deepEqual(backendProblems({ PULUMI_BACKEND_URL: "s3://state?region=eu-west-1", PULUMI_CONFIG_PASSPHRASE: "p" }), []);
    assert.deepEqual(backendProblems({ PULUMI_BACKEND_URL: "gs://state", PULUMI_SECRETS_PROVIDER: "gcpkms://projects/p/key" }), []);
    assert.deepEqual(backendProblems({ PULUMI_BACKEND_URL: "file:///srv/state", PULUMI_CONFIG_PASSPHRASE: "" }).length, 1);
    assert.deepEqual(backendProblems({ PULUMI_ACCESS_TOKEN: "pul-x" }), []);
    assert.deepEqual(backendProblems({ PULUMI_BACKEND_URL: "https://api.pulumi.com", PULUMI_ACCESS_TOKEN: "pul-x" }), []);
  });

  it("fails when no backend is configured, saying which variables to set", () => {
    assert.match(backendProblems({}).join("\n"), /set PULUMI_BACKEND_URL .* or PULUMI_ACCESS_TOKEN/);
  });

  it("fails when the backend scheme is unknown, and never echoes the URL", () => {
    const problems = backendProblems({ PULUMI_BACKEND_URL: "ftp://user:hunter2@host/state", PULUMI_CONFIG_PASSPHRASE: "p" });
    assert.match(problems.join("\n"), /scheme "ftp"/);
    assert.doesNotMatch(problems.join("\n"), /hunter2/);
  });

  it("fails when a Pulumi Cloud URL has no token", () => {
    assert.match(backendProblems({ PULUMI_BACKEND_URL: "https://api.pulumi.com" }).join(), /PULUMI_ACCESS_TOKEN is empty/);
  });

  it("passes a non-default secrets provider to stack init", () => {
    assert.deepEqual(stackInitArgs("feature-pr-1"), ["stack", "init", "feature-pr-1", "--non-interactive"]);
    assert.deepEqual(stackInitArgs("feature-pr-1", "passphrase"), ["stack", "init", "feature-pr-1", "--non-interactive"]);
    assert.deepEqual(stackInitArgs("feature-pr-1", "awskms://alias/state"), [
      "stack", "init", "feature-pr-1", "--non-interactive", "--secrets-provider", "awskms://alias/state",
    ]);
  });

  it("enforces the policy pack on preview and up", () => {
    assert.ok(upArgs("qa").join(" ").includes("--policy-pack policy"));
    assert.ok(previewArgs("qa").join(" ").includes("--json"));
    assert.ok(previewArgs("qa").join(" ").includes("--policy-pack policy"));
  });

  it("finds a stack by its short or qualified name", () => {
    assert.equal(stackListed([{ name: "qa" }], "qa"), true);
    assert.equal(stackListed([{ name: "acme/team-environments/feature-pr-4" }], "feature-pr-4"), true);
    assert.equal(stackListed([{ name: "feature-pr-41" }], "feature-pr-4"), false);
    assert.throws(() => stackListed({}, "qa"), /did not return a list/);
  });
});
