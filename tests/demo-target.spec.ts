import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkTarget, parseTarget, REQUIRED_CRDS } from "../scripts/local/target";

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: k3s
contexts:
  - name: other
    context: { cluster: elsewhere }
  - name: k3s
    context: { cluster: default, user: admin }
clusters:
  - name: elsewhere
    cluster: { server: "https://10.0.0.9:6443" }
  - name: default
    cluster: { server: "https://192.168.1.20:6443" }
users:
  - name: admin
    user: { token: x }
`;

/** Asserts that `fn` throws an error whose message matches `re`. */
function throwsMessage(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e: Error) => {
    assert.match(e.message, re);
    return true;
  });
}

describe("npm run demo: which cluster", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "demo-target-"));
    fs.writeFileSync(path.join(dir, "config"), KUBECONFIG);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("deploys to the local control plane unless told otherwise, even with KUBECONFIG set", () => {
    assert.deepStrictEqual(parseTarget([], { KUBECONFIG: path.join(dir, "config") }), { local: true });
    assert.deepStrictEqual(parseTarget(["--cluster", "local"], {}), { local: true });
  });

  it("takes the current context's server from the first KUBECONFIG file with --cluster current", () => {
    const env = { KUBECONFIG: [path.join(dir, "config"), path.join(dir, "absent")].join(path.delimiter) };
    assert.deepStrictEqual(parseTarget(["--cluster", "current"], env), {
      local: false,
      kubeconfig: path.join(dir, "config"),
      context: "k3s",
      server: "https://192.168.1.20:6443",
    });
    fs.mkdirSync(path.join(dir, ".kube"));
    fs.copyFileSync(path.join(dir, "config"), path.join(dir, ".kube", "config"));
    assert.strictEqual(parseTarget(["--cluster=current"], { HOME: dir, KUBECONFIG: "" }).kubeconfig, path.join(dir, ".kube", "config"), "without KUBECONFIG: ~/.kube/config");
    // pulumi runs in the workspace, not here: a relative KUBECONFIG is made absolute.
    const relative = path.relative(process.cwd(), path.join(dir, "config"));
    assert.strictEqual(parseTarget(["--cluster", "current"], { KUBECONFIG: relative }).kubeconfig, path.join(dir, "config"));
    // …relative to where npm was run (npm runs scripts in the package directory).
    assert.strictEqual(parseTarget(["--cluster", "current"], { KUBECONFIG: "config", INIT_CWD: dir }).kubeconfig, path.join(dir, "config"));
  });

  it("fails with one line naming the flag, the file or the context", () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["--cluster", "prod"], {}, /^--cluster "prod": use local \(the default\) or current/],
      [["--clusters", "current"], {}, /^Unknown option '--clusters'.*usage: npm run demo/],
      [["--cluster", "current"], { KUBECONFIG: path.join(dir, "absent") }, /cannot read kubeconfig .*absent \(ENOENT\)$/],
    ];
    for (const [argv, env, message] of cases) throwsMessage(() => parseTarget(argv, env), message);
    fs.writeFileSync(path.join(dir, "bad"), KUBECONFIG.replace("current-context: k3s", "current-context: gone"));
    throwsMessage(() => parseTarget(["--cluster", "current"], { KUBECONFIG: path.join(dir, "bad") }), /context gone in .*bad names no cluster with an https server$/);
    fs.writeFileSync(path.join(dir, "none"), KUBECONFIG.replace("current-context: k3s\n", ""));
    throwsMessage(() => parseTarget(["--cluster", "current"], { KUBECONFIG: path.join(dir, "none") }), /none has no current-context$/);
  });

  describe("checking the cluster (a fake kubectl on PATH)", () => {
    const fakeKubectl = (crds: string[], versionExit = 0) => {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin, { recursive: true });
      fs.writeFileSync(
        path.join(bin, "kubectl"),
        `#!/usr/bin/env bash\ncase "$*" in\n  *" version "*) [[ ${versionExit} == 0 ]] || { echo "Unable to connect to the server: dial tcp: i/o timeout" >&2; exit 1; }; echo '{}' ;;\n` +
          `  *" get crd "*) printf '%s\\n' ${crds.map((c) => `customresourcedefinition.apiextensions.k8s.io/${c}`).join(" ")} ;;\n  *) exit 3 ;;\nesac\n`,
        { mode: 0o755 },
      );
      return { PATH: `${bin}:/usr/bin:/bin` };
    };
    const target = () => parseTarget(["--cluster", "current"], { KUBECONFIG: path.join(dir, "config") });

    it("accepts a cluster that answers and has the CRDs the program needs", () => {
      checkTarget(target(), fakeKubectl([...REQUIRED_CRDS, "other.example.com"]));
    });
    it("fails when the cluster lacks a CRD, naming it and where it comes from", () => {
      throwsMessage(() => checkTarget(target(), fakeKubectl(["ingressroutes.traefik.io", "middlewares.traefik.io"])), /lacks CRDs prometheusrules\.monitoring\.coreos\.com: .*kube-prometheus-stack/);
    });
    it("fails when the cluster does not answer, with kubectl's reason", () => {
      throwsMessage(() => checkTarget(target(), fakeKubectl(REQUIRED_CRDS, 1)), /https:\/\/192\.168\.1\.20:6443 \(context k3s\) does not answer: Unable to connect to the server: dial tcp: i\/o timeout$/);
    });
    it("fails when kubectl is not on PATH", () => {
      throwsMessage(() => checkTarget(target(), { PATH: path.join(dir, "empty") }), /kubectl is not on PATH/);
    });
  });
});
