/**
 * scripts/cluster.sh without starting anything: its input checks, and the files a real node is
 * configured with (scripts/cluster/real-node.sh), generated into a scratch cache root.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { ROOT } from "../scripts/local/env";

let cache: string;

function cluster(args: string[], env: Record<string, string>) {
  return spawnSync("bash", ["scripts/cluster.sh", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cache, TEAM_ENV_CACHE: cache, ...env },
    encoding: "utf8",
  });
}

/** Runs real-node.sh's FUNCTION ARGS with the variables cluster.sh gives it; returns the node dir. */
function realNode(fn: string, ...args: string[]): string {
  const script = `
    set -euo pipefail
    CLUSTER_DIR="$1"; PKI="$CLUSTER_DIR/pki"; POD_CIDR=10.244.0.0/16; HOST=127.0.0.1
    COREDNS_VERSION=v0.0.0; SCRIPT_DIR=scripts
    source scripts/cluster/real-node.sh
    shift; "$@"`;
  const r = spawnSync("bash", ["-c", script, "bash", path.join(cache, "cluster"), fn, ...args], { cwd: ROOT, encoding: "utf8" });
  assert.strictEqual(r.status, 0, r.stderr);
  return path.join(cache, "cluster", "nodes", `node-${args[0]}`);
}

describe("scripts/cluster.sh", () => {
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), "cluster-script-"));
  });
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  for (const [env, named] of [
    [{ CLUSTER_NODE_KIND: "docker" }, /CLUSTER_NODE_KIND=docker: expected kwok or real/],
    [{ CLUSTER_NODES: "0" }, /CLUSTER_NODES=0: expected a number from 1 to 99/],
    [{ CLUSTER_NODES: "three" }, /CLUSTER_NODES=three/],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} in one line, before doing anything`, () => {
      const r = cluster(["up"], env);
      assert.strictEqual(r.status, 2);
      assert.match(r.stderr, named);
      assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.deepStrictEqual(fs.readdirSync(cache), []);
    });
  }

  it("starts real nodes by default, and tells a user who is not root in one line to run as root or choose kwok, before building anything", () => {
    fs.chmodSync(cache, 0o777);
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cache, TEAM_ENV_CACHE: cache };
    // As root, a copy of the scripts (the clone may be unreadable to others) run as nobody; otherwise as this user.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "cluster-script-copy-"));
    let r;
    try {
      fs.cpSync(path.join(ROOT, "scripts"), path.join(copy, "scripts"), { recursive: true });
      fs.chmodSync(copy, 0o755);
      r = process.getuid?.() === 0
        ? spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "bash", "scripts/cluster.sh", "build"], { cwd: copy, env, encoding: "utf8" })
        : spawnSync("bash", ["scripts/cluster.sh", "build"], { cwd: copy, env, encoding: "utf8" });
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, /real nodes \(CLUSTER_NODE_KIND=real, the default\) need root.*CLUSTER_NODE_KIND=kwok/);
    assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.deepStrictEqual(fs.readdirSync(cache), []);
  });

  it("stops and describes a running cluster as it was started, whatever CLUSTER_NODE_KIND says now", () => {
    fs.mkdirSync(path.join(cache, "cluster"), { recursive: true });
    fs.writeFileSync(path.join(cache, "cluster", "node-kind"), "real 2\n");
    // Nothing runs: status says down. With a bogus kind in the environment it still works, because
    // the recorded kind wins for status and down.
    const r = cluster(["status"], { CLUSTER_NODE_KIND: "bogus" });
    assert.strictEqual(r.status, 3, r.stderr);
    assert.match(r.stdout, /cluster: down/);
  });

  describe("a real node's configuration (real-node.sh)", () => {
    it("gives node N its own bridge, subnet and IPAM store, with no masquerading between pods", () => {
      const dir = realNode("write_cni_config", "2");
      const conf = JSON.parse(fs.readFileSync(path.join(dir, "cni", "net.d", "10-bridge.conflist"), "utf8"));
      const bridge = conf.plugins[0];
      assert.strictEqual(bridge.bridge, "tenode2");
      assert.strictEqual(bridge.ipMasq, false);
      assert.deepStrictEqual(bridge.ipam.ranges, [[{ subnet: "10.244.2.0/24", gateway: "10.244.2.1" }]]);
      assert.strictEqual(bridge.ipam.dataDir, path.join(dir, "cni", "ipam"));
    });

    it("points the kubelet at its own runtime, IP, cgroup root and the cluster DNS", () => {
      const dir = realNode("write_kubelet_config", "1");
      const conf = parse(fs.readFileSync(path.join(dir, "kubelet.yaml"), "utf8"));
      assert.strictEqual(conf.kind, "KubeletConfiguration");
      assert.strictEqual(conf.address, "10.244.1.1");
      assert.strictEqual(conf.cgroupRoot, "/te-node-1");
      assert.deepStrictEqual(conf.clusterDNS, ["10.96.0.10"]);
      assert.match(conf.containerRuntimeEndpoint, /^unix:\/\/.*\/run\/node-1\/containerd\.sock$/);
      assert.strictEqual(conf.authentication.anonymous.enabled, false);
      assert.strictEqual(conf.authorization.mode, "Webhook");
      // Imported images are never pulled again: image GC must not remove them.
      assert.strictEqual(conf.imageGCHighThresholdPercent, 100);
      // Each node keeps its own pod logs: a kubelet deletes the log directories of pods it does not know.
      assert.strictEqual(conf.podLogsDir, path.join(dir, "pod-logs"));
    });

    it("gives containerd the local pause image, its own state and socket, and the node's CNI config", () => {
      const dir = realNode("write_containerd_config", "0");
      const toml = fs.readFileSync(path.join(dir, "containerd.toml"), "utf8");
      assert.match(toml, /sandbox_image = "team-environments\.local\/pause:1"/);
      assert.match(toml, new RegExp(`conf_dir = "${dir}/cni/net.d"`));
      assert.match(toml, /address = ".*\/run\/node-0\/containerd\.sock"/);
      assert.match(toml, /restrict_oom_score_adj = (true|false)/);
    });
  });
});
