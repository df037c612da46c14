import { strict as assert } from "node:assert";
import { checkPromotion } from "../../scripts/ci/promotion-check";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
const staging = (tag: unknown, tags?: Record<string, unknown>) => ({
  environment: "staging",
  imageTag: tag,
  ...(tags ? { imageTags: tags } : {}),
});

describe("promotion-check", () => {
  it("allows the SHA staging runs for every service", () => {
    assert.deepEqual(checkPromotion(staging(SHA, { pwa: SHA, "core-api": SHA }), SHA), { ok: true, sha: SHA });
  });

  it("fails when staging runs another SHA, naming both", () => {
    const verdict = checkPromotion(staging(OTHER, { pwa: OTHER }), SHA);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : "", new RegExp(`staging runs ${OTHER}, not ${SHA}`));
  });

  it("fails when given an abbreviation of staging's SHA, and says which full SHA to pass", () => {
    const verdict = checkPromotion(staging(SHA), SHA.slice(0, 7));
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : "", /pass the full SHA "0123456789abcdef/);
  });

  it("fails when one service in staging runs a different tag", () => {
    const verdict = checkPromotion(staging(SHA, { pwa: SHA, auth: OTHER }), SHA);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : "", /does not run .* everywhere: auth=fedcba/);
  });

  it("fails when staging was never deployed", () => {
    const verdict = checkPromotion({}, SHA);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : "", /no imageTag output/);
  });

  it("fails when imageTags is not a map", () => {
    assert.equal(checkPromotion(staging(SHA, undefined as never), SHA).ok, true);
    assert.equal(checkPromotion({ imageTag: SHA, imageTags: ["x"] }, SHA).ok, false);
  });

  it("fails when the requested SHA is not a SHA, quoting it", () => {
    assert.throws(() => checkPromotion(staging(SHA), "latest"), /invalid image SHA "latest"/);
    assert.throws(() => checkPromotion(staging(SHA), SHA.toUpperCase()), /invalid image SHA/);
  });
});
