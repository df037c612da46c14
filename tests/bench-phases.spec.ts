import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { breakdown, timedWithEvents, TimedRun } from "../bench/phases";
import { benchRounds } from "../bench/measure";
import { LocalError } from "../scripts/local/env";

const urn = (type: string, name: string) => `urn:pulumi:feature-pr-9::team-environments::${type}::${name}`;
const pre = (u: string) => ({ resourcePreEvent: { metadata: { op: "create", urn: u } } });
const out = (u: string) => ({ resOutputsEvent: { metadata: { op: "create", urn: u } } });

describe("bench phases (engine event log)", () => {
  it("splits a run into engine start, program start, resources and finish, which add up to its wall time", () => {
    const stack = urn("pulumi:pulumi:Stack", "team-environments-feature-pr-9");
    const component = urn("pulumi:pulumi:Stack$team-environments:app:App", "app");
    const deployment = urn("pulumi:pulumi:Stack$team-environments:app:App$kubernetes:apps/v1:Deployment", "core-api");
    const job = urn("pulumi:pulumi:Stack$kubernetes:batch/v1:Job", "migrate");
    const run: TimedRun = {
      seconds: 20,
      events: [
        { at: 2, event: { preludeEvent: {} } },
        { at: 5, event: pre(stack) },
        { at: 5.1, event: pre(component) },
        { at: 5.2, event: pre(job) },
        { at: 9.2, event: out(job) },
        { at: 9.3, event: pre(deployment) },
        { at: 17.3, event: out(deployment) },
        { at: 17.4, event: out(component) },
        { at: 18, event: out(stack) },
        { at: 19.5, event: { summaryEvent: {} } },
      ],
    };
    const b = breakdown(run);
    assert.deepStrictEqual([b.engineStart, b.programStart, +b.resources.toFixed(3), +b.finish.toFixed(3)], [2, 3, 13, 2]);
    assert.strictEqual(b.engineStart + b.programStart + b.resources + b.finish, 20);
    // Components and the stack wait on their children: only real steps are listed, longest first.
    assert.deepStrictEqual(
      b.slowest.map((s) => [s.name, +s.seconds.toFixed(3)]),
      [
        ["apps/v1:Deployment core-api", 8],
        ["batch/v1:Job migrate", 4],
      ],
    );
  });

  it("refuses a log without a prelude (the engine never started an update)", () => {
    assert.throws(() => breakdown({ seconds: 1, events: [{ at: 0.5, event: { diagnosticEvent: {} } }] }), /no prelude/);
  });

  it("stamps each event when it arrives, not with the log's whole-second timestamps", async function () {
    this.timeout(20000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phases-"));
    // A stand-in engine: writes a prelude, waits, writes a step; the log path comes last, as the bench passes it.
    const fake = path.join(dir, "engine.sh");
    fs.writeFileSync(
      fake,
      '#!/bin/bash\nlog="${@: -1}"\necho \'{"timestamp": 1, "preludeEvent": {}}\' >> "$log"\nsleep 0.6\n' +
        'echo \'{"timestamp": 1, "resourcePreEvent": {"metadata": {"urn": "urn:pulumi:s::p::kubernetes:core/v1:Namespace::ns"}}}\' >> "$log"\n' +
        'sleep 0.4\necho \'{"timestamp": 1, "resOutputsEvent": {"metadata": {"urn": "urn:pulumi:s::p::kubernetes:core/v1:Namespace::ns"}}}\' >> "$log"\n',
      { mode: 0o755 },
    );
    const run = await timedWithEvents(fake, ["up"], { cwd: dir, env: process.env, eventLog: path.join(dir, "events.jsonl") });
    const b = breakdown(run);
    assert.ok(b.programStart > 0.45 && b.programStart < 3, `program start ${b.programStart}`);
    assert.ok(b.slowest[0].seconds > 0.3 && b.slowest[0].seconds < 3, `step ${b.slowest[0].seconds}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("names the command and its last error lines when it fails", async () => {
    await assert.rejects(timedWithEvents("bash", ["-c", "echo broken >&2; exit 3"], { cwd: os.tmpdir(), env: process.env, eventLog: path.join(os.tmpdir(), "none.jsonl") }), /bash -c .* failed \(exit 3\):\nbroken/);
  });
});

describe("BENCH_ROUNDS", () => {
  it("is 3 by default and a whole number of at least 1, else a one-line error naming it", () => {
    assert.strictEqual(benchRounds({}), 3);
    assert.strictEqual(benchRounds({ BENCH_ROUNDS: "5" }), 5);
    for (const bad of ["0", "-1", "2.5", "x", ""]) {
      assert.throws(() => benchRounds({ BENCH_ROUNDS: bad }), (e: Error) => e instanceof LocalError && e.message === `BENCH_ROUNDS=${bad}: expected a whole number of rounds, 1 or more`);
    }
  });
});
