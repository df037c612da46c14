import { strict as assert } from "node:assert";
import { annotation, envValue, fileCommand, parseFlags } from "../../scripts/ci/cli";

describe("cli", () => {
  it("escapes workflow commands so a message cannot inject another", () => {
    assert.equal(annotation("error", "50% done\n::set-output x"), "::error::50%25 done%0A::set-output x");
    assert.equal(annotation("error", "m", "Drift: qa, now"), "::error title=Drift%3A qa%2C now::m");
  });

  it("writes multi-line outputs between a delimiter", () => {
    assert.equal(fileCommand("stacks", "a\nb", "EOF1"), "stacks<<EOF1\na\nb\nEOF1\n");
    assert.throws(() => fileCommand("bad name", "x"), /invalid output name "bad name"/);
  });

  it("treats an empty variable as unset", () => {
    assert.equal(envValue("X", { X: "" }), undefined);
    assert.equal(envValue("X", { X: " v " }), " v ");
  });

  it("fails with a usage error on unknown flags", () => {
    assert.throws(
      () => parseFlags(["--stak", "qa"], { stack: { type: "string" } }, "x.ts --stack <s>"),
      (err: Error & { exitCode?: number }) => err.exitCode === 2 && /--stak/.test(err.message) && /usage: x.ts/.test(err.message),
    );
  });
});
