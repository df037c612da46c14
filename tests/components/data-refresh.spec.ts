import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DATA_REFRESH_SECRET } from "../../policy/conventions";
import { ROOT } from "../../scripts/local/env";
import { DataRefresh, DataRefreshArgs } from "../../components/data-refresh";
import { DataRefreshSettings } from "../../config/settings";
import { construct, created } from "../support/component";

const SETTINGS: DataRefreshSettings = {
  schedule: "0 2 * * 0",
  image: "ghcr.io/yourorg/myapp/tools:abc1234",
  source: "backup://production/latest",
  anonymize: true,
};
const ARGS: DataRefreshArgs = {
  namespace: "staging",
  environment: "staging",
  appName: "myapp",
  settings: SETTINGS,
  credentialsSecret: "postgres-credentials",
  databaseHost: "postgres.staging.svc.cluster.local",
};

describe("DataRefresh", () => {
  it("schedules one anonymising refresh of the staging database at a time", async () => {
    const { resources, urn } = await construct(() => new DataRefresh("staging-data-refresh", ARGS));
    const cron = created(resources, "kubernetes:batch/v1:CronJob", "staging-data-refresh-cronjob");
    assert.strictEqual(cron.parent, urn);
    assert.strictEqual(cron.inputs.metadata.name, "data-refresh");
    assert.strictEqual(cron.inputs.metadata.namespace, "staging");
    assert.strictEqual(cron.inputs.metadata.labels["app.kubernetes.io/component"], "data-refresh", "the network policy's egress selects it by component");
    assert.strictEqual(cron.inputs.spec.schedule, "0 2 * * 0");
    assert.strictEqual(cron.inputs.spec.concurrencyPolicy, "Forbid");
    const pod = cron.inputs.spec.jobTemplate.spec.template;
    assert.strictEqual(pod.metadata.labels["app.kubernetes.io/component"], "data-refresh");
    const [container] = pod.spec.containers;
    assert.strictEqual(container.image, "ghcr.io/yourorg/myapp/tools:abc1234");
    assert.deepStrictEqual(container.args, ["--source=backup://production/latest", "--target=staging", "--anonymize-pii"]);
    assert.deepStrictEqual(container.env, [
      { name: "TARGET_DATABASE_HOST", value: "postgres.staging.svc.cluster.local" },
      { name: "TARGET_DATABASE_PASSWORD", valueFrom: { secretKeyRef: { name: "postgres-credentials", key: "password" } } },
    ]);
    assert.strictEqual(container.securityContext.allowPrivilegeEscalation, false);
    assert.strictEqual(container.securityContext.readOnlyRootFilesystem, true);
    assert.strictEqual(pod.spec.securityContext.runAsNonRoot, true);
    assert.strictEqual(pod.spec.automountServiceAccountToken, false);
  });

  it("loads its env from the Secret the tools image reads (images/app/cmd/tools SecretName)", async () => {
    const { resources } = await construct(() => new DataRefresh("staging-data-refresh", ARGS));
    const cron = created(resources, "kubernetes:batch/v1:CronJob", "staging-data-refresh-cronjob");
    const [container] = cron.inputs.spec.jobTemplate.spec.template.spec.containers;
    assert.deepStrictEqual(container.envFrom, [{ secretRef: { name: DATA_REFRESH_SECRET, optional: false } }]);
    const tools = fs.readFileSync(path.join(ROOT, "images", "app", "cmd", "tools", "main.go"), "utf8");
    assert.match(tools, new RegExp(`const SecretName = "${DATA_REFRESH_SECRET}"`), "the Go tool names the same Secret");
  });

  it("registers the CronJob's name as its output", async () => {
    const { outputs } = await construct(() => new DataRefresh("staging-data-refresh", ARGS));
    assert.deepStrictEqual(outputs, { cronJobName: "data-refresh" });
  });

  it("fails when anonymisation is turned off", async () => {
    const settings = { ...SETTINGS, anonymize: false } as unknown as DataRefreshSettings;
    await assert.rejects(construct(() => new DataRefresh("staging-data-refresh", { ...ARGS, settings })), {
      message: "staging-data-refresh: settings.anonymize is false: the data refresh must anonymise PII",
    });
  });
});
