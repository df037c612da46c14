import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../scripts/local/env";

/** The `NAME=version` constants of scripts/toolchain.sh. */
function toolchainVersions(): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, "scripts", "toolchain.sh"), "utf8");
  return Object.fromEntries([...text.matchAll(/^([A-Z0-9_]+_VERSION)=([0-9][0-9.]*)\b/gm)].map((m) => [m[1], m[2]]));
}

/** The version package-lock.json (of the root or of `dir`) installs for a package. */
function locked(pkg: string, dir = ""): string | undefined {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, dir, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  return lock.packages[`node_modules/${pkg}`]?.version;
}

describe("the engine runs the versions the lockfiles name", () => {
  const built = toolchainVersions();

  it("builds the CLI at the @pulumi/pulumi of the program and of the policy pack", () => {
    assert.strictEqual(built.PULUMI_VERSION, locked("@pulumi/pulumi"), "scripts/toolchain.sh PULUMI_VERSION vs package-lock.json");
    assert.strictEqual(built.PULUMI_VERSION, locked("@pulumi/pulumi", "policy"), "scripts/toolchain.sh PULUMI_VERSION vs policy/package-lock.json");
  });

  it("builds each provider plugin at its SDK's version", () => {
    assert.strictEqual(built.K8S_PROVIDER_VERSION, locked("@pulumi/kubernetes"), "kubernetes plugin vs @pulumi/kubernetes");
    assert.strictEqual(built.RANDOM_VERSION, locked("@pulumi/random"), "random plugin vs @pulumi/random");
  });

  it("pins the SDKs exactly in package.json, so npm cannot move them away from the plugins", () => {
    const deps = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies;
    for (const pkg of ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/random"]) {
      assert.match(deps[pkg], /^\d+\.\d+\.\d+$/, `${pkg} is ${deps[pkg]} in package.json`);
      assert.strictEqual(deps[pkg], locked(pkg), `${pkg} in package.json vs package-lock.json`);
    }
  });
});
