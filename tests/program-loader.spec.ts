/**
 * program-loader.js, as the engine starts the program (`node --require program-loader.js`): the
 * SDK's debug-level trace of its own RPCs stays in the program unless asked for, and everything
 * else it logs still reaches the engine. A child Node logs through @pulumi/pulumi against a stand-in
 * for the engine's Log RPC (the same gRPC service the CLI serves).
 */
import * as grpc from "@grpc/grpc-js";
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../scripts/local/env";
/* eslint-disable @typescript-eslint/no-require-imports */
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

describe("program-loader.js", function () {
  this.timeout(30000);
  let server: grpc.Server;
  let address: string;
  /** The messages the stand-in engine was sent, in order. */
  let received: string[];

  before(async () => {
    server = new grpc.Server();
    server.addService(engineRpc.EngineService, {
      log: (call: grpc.ServerUnaryCall<{ getMessage(): string }, unknown>, done: grpc.sendUnaryData<unknown>) => {
        received.push(call.request.getMessage());
        done(null, new Empty());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());
  beforeEach(() => (received = []));

  /** What the engine receives when a program loaded this way logs at each level, as the SDK's runtime does. */
  const logFromProgram = async (env: NodeJS.ProcessEnv = {}): Promise<string[]> => {
    const script = `
      const log = require("@pulumi/pulumi/log");
      Promise.all([log.debug("RegisterResource RPC prepared: t=x, name=y"), log.info("an info line"), log.warn("a warning")])
        .then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
    // Async: the stand-in engine answers from this process's event loop.
    const child = spawn(process.execPath, ["--require", path.join(ROOT, "program-loader.js"), "-e", script], {
      cwd: ROOT,
      env: { ...process.env, PULUMI_NODEJS_ENGINE: address, TEAM_ENV_PROGRAM_DEBUG_LOGS: undefined, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const code = await new Promise<number>((resolve) => child.on("close", resolve));
    assert.strictEqual(code, 0);
    return received;
  };

  it("sends the engine the program's info and warnings, not the SDK's debug trace", async () => {
    assert.deepStrictEqual(await logFromProgram(), ["an info line", "a warning"]);
  });

  it("sends the debug trace too with TEAM_ENV_PROGRAM_DEBUG_LOGS=1", async () => {
    const logged = await logFromProgram({ TEAM_ENV_PROGRAM_DEBUG_LOGS: "1" });
    assert.deepStrictEqual(logged, ["RegisterResource RPC prepared: t=x, name=y", "an info line", "a warning"]);
  });

  it("holds back the trace the SDK's runtime sends for each registration (the installed @pulumi/pulumi)", () => {
    // runtime/resource.js traces through `debug` of the log module program-loader.js changes; an
    // SDK that stops doing so makes the change pointless (and this fails: remove both).
    const runtime = fs.readFileSync(require.resolve("@pulumi/pulumi/runtime/resource.js"), "utf8");
    assert.match(runtime, /const log = __importStar\(require\("\.\.\/log"\)\)/);
    assert.match(runtime, /log\.debug\(`RegisterResource RPC prepared/);
    assert.strictEqual(require.resolve("@pulumi/pulumi/log"), path.join(path.dirname(require.resolve("@pulumi/pulumi/runtime/resource.js")), "..", "log", "index.js"));
  });
});
