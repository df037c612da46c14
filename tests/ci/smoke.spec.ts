import { strict as assert } from "node:assert";
import { basicAuthHeader, isHealthyStatus, positiveInt, runSmoke, smokeFailure, smokeTargets } from "../../scripts/ci/smoke";

const noSleep = async () => undefined;
const quiet = () => undefined;

describe("smoke", () => {
  it("probes every URL from the stack outputs with the path appended", () => {
    const targets = smokeTargets({ urls: { pwa: "https://qa.example.test", auth: "https://auth.qa.example.test/" } }, "/healthz");
    assert.deepEqual(targets, [
      { service: "auth", url: "https://auth.qa.example.test/healthz" },
      { service: "pwa", url: "https://qa.example.test/healthz" },
    ]);
  });

  it("fails when the stack has no urls, or a url is malformed", () => {
    assert.throws(() => smokeTargets({}), /no urls output/);
    assert.throws(() => smokeTargets({ urls: {} }), /urls output is empty/);
    assert.throws(() => smokeTargets({ urls: { pwa: "qa.example.test" } }), /urls.pwa is "qa.example.test"/);
    assert.throws(() => smokeTargets({ urls: { pwa: "https://x" } }, "healthz"), /invalid smoke path "healthz"/);
  });

  it("retries until the service answers", async () => {
    const statuses = [502, 503, 200];
    const results = await runSmoke([{ service: "pwa", url: "https://x/" }], {
      fetchFn: async () => ({ status: statuses.shift() ?? 500 }),
      sleep: noSleep,
      log: quiet,
      attempts: 5,
    });
    assert.deepEqual(results.map((r) => [r.ok, r.tries, r.last]), [[true, 3, "HTTP 200"]]);
    assert.equal(smokeFailure(results), undefined);
  });

  it("fails when a service stays down, naming it", async () => {
    const results = await runSmoke([{ service: "pwa", url: "https://x/" }], {
      fetchFn: async () => {
        throw new Error("getaddrinfo ENOTFOUND x");
      },
      sleep: noSleep,
      log: quiet,
      attempts: 2,
    });
    assert.equal(smokeFailure(results), "smoke test failed: pwa https://x/ → getaddrinfo ENOTFOUND x");
  });

  it("sends basic auth when configured (qa and staging sit behind it)", async () => {
    let seen: Record<string, string> = {};
    await runSmoke([{ service: "pwa", url: "https://x/" }], {
      fetchFn: async (_url, init) => {
        seen = init.headers;
        return { status: 200 };
      },
      authorization: basicAuthHeader("qa:s3cret"),
      log: quiet,
    });
    assert.equal(seen.authorization, `Basic ${Buffer.from("qa:s3cret").toString("base64")}`);
    assert.throws(() => basicAuthHeader("nocolon"), /user:password/);
    assert.equal(basicAuthHeader(undefined), undefined);
  });

  it("counts 2xx and 3xx as up, 401 and 5xx as down", () => {
    assert.deepEqual([200, 302, 401, 404, 503].map(isHealthyStatus), [true, true, false, false, false]);
  });

  it("fails when a numeric flag is not a positive integer", () => {
    assert.equal(positiveInt(undefined, "attempts", 30), 30);
    assert.throws(() => positiveInt("0", "attempts", 30), /invalid --attempts "0"/);
  });
});
