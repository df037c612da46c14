/**
 * Where a `pulumi up`/`destroy` spends its time, from the engine's own event log
 * (`--event-log`). The log's timestamps are whole seconds, too coarse for a 30-second run, so
 * the bench reads the file while the command runs and stamps each event on arrival (every 25 ms).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { StringDecoder } from "string_decoder";
import { LocalError } from "../scripts/local/env";

/** One engine event and when it arrived, in seconds since the command started. */
export interface TimedEvent {
  at: number;
  event: Record<string, unknown>;
}

/** A command's run: wall time and the events it logged. */
export interface TimedRun {
  seconds: number;
  events: TimedEvent[];
}

/** The phases of one run, in seconds; they add up to the run's wall time. */
export interface Breakdown {
  /** CLI start, project, stack and backend loaded, plugins resolved: until the prelude event. */
  engineStart: number;
  /** Language host started and the program loaded, until its first resource registration. */
  programStart: number;
  /** From the first resource step to the last one finished (registrations and waits overlap). */
  resources: number;
  /** After the last resource: stack policies, summary, state written, plugins stopped. */
  finish: number;
  /** The longest single resource steps (pre-event to outputs), longest first. */
  slowest: { name: string; seconds: number }[];
}

const POLL_MS = 25;

/** Runs `cmd args` with `--event-log file` appended, reading the log while it is written. */
export function timedWithEvents(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; eventLog: string }): Promise<TimedRun> {
  fs.rmSync(opts.eventLog, { force: true });
  const start = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - start) / 1e9;
  const events: TimedEvent[] = [];
  let offset = 0;
  let partial = "";
  // Keeps a character split across two reads whole.
  const decoder = new StringDecoder("utf8");
  const drain = () => {
    let fd: number;
    try {
      fd = fs.openSync(opts.eventLog, "r");
    } catch {
      return; // not created yet
    }
    try {
      const buf = Buffer.alloc(1 << 16);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, offset)) > 0; offset += n) partial += decoder.write(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    const at = now();
    for (const line of lines) if (line.trim() !== "") events.push({ at, event: JSON.parse(line) as Record<string, unknown> });
  };
  return new Promise((resolve, reject) => {
    // The CLI offers --event-log only with its debug commands switched on (no other effect on a run).
    const env = { ...opts.env, PULUMI_DEBUG_COMMANDS: "true" };
    const child = spawn(cmd, [...args, "--event-log", opts.eventLog], { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    // Pulumi prints resource errors on stdout: keep the tail of both for a failure's message.
    let output = "";
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setInterval(drain, POLL_MS);
    child.on("error", (e) => {
      clearInterval(timer);
      reject(new LocalError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on("close", (code) => {
      clearInterval(timer);
      // Events still unread were written before the exit: stamp them at the end, not after it.
      const seconds = now();
      drain();
      for (const e of events) e.at = Math.min(e.at, seconds);
      if (code !== 0) reject(new LocalError(`${cmd} ${args.slice(0, 3).join(" ")} failed (exit ${code}):\n${output.trim()}`));
      else resolve({ seconds, events });
    });
  });
}

const urnOf = (e: Record<string, unknown>, key: string): string | undefined => {
  const meta = (e[key] as { metadata?: { urn?: unknown } } | undefined)?.metadata;
  return typeof meta?.urn === "string" ? meta.urn : undefined;
};

/** The resource's own type (the last of `parent$type` in a URN). */
const ownType = (urn: string): string => (urn.split("::")[2] ?? "").split("$").pop() ?? "";

/** `type name` of a URN, for the slowest-steps list. */
const shortName = (urn: string): string => `${ownType(urn).replace(/^kubernetes:/, "")} ${urn.split("::")[3] ?? ""}`.trim();

/** Components and the stack finish when their children do: their steps say nothing of their own. */
const isContainer = (urn: string): boolean => /^(team-environments:|pulumi:pulumi:Stack$)/.test(ownType(urn));

/** The phases of a run; a run without a prelude or resource events (a failed start) throws. */
export function breakdown(run: TimedRun, slowest = 4): Breakdown {
  const prelude = run.events.find((e) => "preludeEvent" in e.event);
  if (!prelude) throw new LocalError("event log has no prelude: the engine did not start an update");
  const started = new Map<string, number>();
  const steps: { name: string; seconds: number }[] = [];
  let first: number | undefined;
  let last: number | undefined;
  for (const { at, event } of run.events) {
    const pre = urnOf(event, "resourcePreEvent");
    if (pre !== undefined) {
      first ??= at;
      started.set(pre, at);
    }
    const done = urnOf(event, "resOutputsEvent") ?? urnOf(event, "resOpFailedEvent");
    if (done !== undefined) {
      last = at;
      const t0 = started.get(done);
      if (t0 !== undefined && !isContainer(done)) steps.push({ name: shortName(done), seconds: at - t0 });
    }
  }
  const firstAt = first ?? prelude.at;
  const lastAt = last ?? firstAt;
  return {
    engineStart: prelude.at,
    programStart: firstAt - prelude.at,
    resources: lastAt - firstAt,
    finish: run.seconds - lastAt,
    slowest: steps.sort((a, b) => b.seconds - a.seconds).slice(0, slowest),
  };
}
