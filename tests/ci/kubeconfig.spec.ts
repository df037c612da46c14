import { strict as assert } from "node:assert";
import { decodeKubeconfig } from "../../scripts/ci/kubeconfig";

const YAML = "apiVersion: v1\nkind: Config\nclusters: []\n";

describe("kubeconfig", () => {
  it("accepts the YAML as is", () => {
    assert.equal(decodeKubeconfig(YAML, "KUBECONFIG"), YAML);
  });

  it("accepts base64 of the YAML, line-wrapped or not", () => {
    const b64 = Buffer.from(YAML).toString("base64");
    assert.equal(decodeKubeconfig(b64, "KUBECONFIG"), YAML);
    assert.equal(decodeKubeconfig(b64.replace(/(.{10})/g, "$1\n"), "KUBECONFIG"), YAML);
  });

  it("fails when the secret is empty, naming the secret", () => {
    assert.throws(() => decodeKubeconfig("", "PREVIEW_KUBECONFIG"), /secret PREVIEW_KUBECONFIG is empty/);
    assert.throws(() => decodeKubeconfig(undefined, "KUBECONFIG"), /secret KUBECONFIG is empty/);
  });

  it("fails when the secret is something else, without echoing it", () => {
    assert.throws(
      () => decodeKubeconfig("token-abc123", "KUBECONFIG"),
      (err: Error) => /neither a kubeconfig nor base64/.test(err.message) && !err.message.includes("abc123"),
    );
  });
});
