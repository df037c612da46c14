import { strict as assert } from "node:assert";
import { CiError } from "../../scripts/ci/cli";
import {
  assertAppStack,
  assertStackName,
  parsePrNumber,
  prNumberFromStack,
  prStackName,
} from "../../scripts/ci/stack-name";

describe("stack-name", () => {
  it("derives feature-pr-<N> from a number or its string form", () => {
    assert.equal(prStackName(142), "feature-pr-142");
    assert.equal(prStackName("142"), "feature-pr-142");
    assert.equal(prStackName(" 7 "), "feature-pr-7");
  });

  it("round-trips the PR number through the stack name", () => {
    for (const n of [1, 42, 999_999_999]) assert.equal(prNumberFromStack(prStackName(n)), n);
    assert.equal(prNumberFromStack("qa"), undefined);
    assert.equal(prNumberFromStack("feature-pr-007"), undefined);
  });

  for (const bad of [0, -1, 1.5, "12a", "007", "", "1e3", "1000000000", null, undefined, {}]) {
    it(`fails when the PR number is ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parsePrNumber(bad),
        (err: unknown) => err instanceof CiError && err.exitCode === 2 && err.message.includes(JSON.stringify(bad) ?? "undefined"),
      );
    });
  }

  it("accepts the long-lived stacks and feature stacks", () => {
    for (const s of ["cluster", "qa", "staging", "production", "feature-pr-3"]) assert.equal(assertStackName(s), s);
  });

  it("fails when the stack name is outside the conventions, quoting it", () => {
    assert.throws(() => assertStackName("prod"), /invalid stack "prod": expected one of cluster, qa, staging, production or feature-pr-<N>/);
    assert.throws(() => assertStackName("feature-pr-0"), /invalid stack "feature-pr-0"/);
  });

  it("fails when CI is asked to deploy the cluster stack", () => {
    assert.throws(() => assertAppStack("cluster"), /platform admins/);
    assert.equal(assertAppStack("staging"), "staging");
  });
});
