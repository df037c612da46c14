/**
 * A restored production backup for staging's data refresh to read, outside the cluster: Debian's
 * PostgreSQL server (this machine's /usr/lib/postgresql/<v>/bin) in a network namespace of its
 * own, on a public address (TEST-NET-3, 203.0.113.10) and port 443 — what staging's
 * `allow-data-refresh-egress` policy admits and nothing else in the cluster does. TLS (a
 * throwaway self-signed certificate) and a password, as a managed endpoint would have.
 *
 * The host reaches it through a veth pair (203.0.113.1 on the host's end), so a pod's connection is
 * routed through the host's FORWARD chain, where kube-router's egress rules judge it, as traffic to
 * the internet would be. Started and stopped by whoever calls {@link startBackupDatabase}: the
 * server by pid (SIGINT, then SIGKILL), the namespace and the veth pair by their names (what a
 * killed run left is removed first), the directory by path. Needs root, and Debian's
 * postgresql-15 on the host (this machine kind has it).
 */
import { spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const BACKUP_ADDRESS = "203.0.113.10";
const HOST_ADDRESS = "203.0.113.1";
const PREFIX = "203.0.113.0/24";
export const BACKUP_PORT = 443;
const NETNS = "te-backup";
const HOST_LINK = "te-bk-host";
const NS_LINK = "te-bk-ns";
/** The server's OS user and group ids (postgres refuses to run as root): Debian's `postgres`, else `nobody`. */
function serverUser(): { uid: string; gid: string } {
  for (const u of ["postgres", "nobody"]) {
    const uid = spawnSync("id", ["-u", u], { encoding: "utf8" });
    if (uid.status === 0) return { uid: uid.stdout.trim(), gid: spawnSync("id", ["-g", u], { encoding: "utf8" }).stdout.trim() };
  }
  throw new Error("backup database: no user postgres or nobody to run the server as (it refuses root)");
}

/** A customer row of the demo table the refresh copies (images/app/internal/refresh). */
export interface Customer {
  id: number;
  email: string;
  name: string;
}

export interface BackupDatabase {
  /** postgres:// URL with the password, as the refresh reads it from SOURCE_DATABASE_URL. */
  url: string;
  stop(): void;
}

function sh(what: string, cmd: string, args: string[], opts: { input?: string } = {}): string {
  const res = spawnSync(cmd, args, { encoding: "utf8", input: opts.input });
  if (res.error) throw new Error(`backup database: ${what}: cannot run ${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`backup database: ${what} failed (exit ${res.status}): ${cmd} ${args.join(" ")}\n${res.stderr || res.stdout}`);
  return res.stdout;
}

/** The newest PostgreSQL server binaries of Debian's postgresql package. */
function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "postgres"))) : [];
  if (versions.length === 0) throw new Error(`backup database: no PostgreSQL server under ${root}/<version>/bin: install Debian's postgresql-15`);
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

/** Starts the server with `customers` in database `backup`; throws a one-line reason if it cannot. */
export function startBackupDatabase(customers: Customer[]): BackupDatabase {
  const bin = binDir();
  const user = serverUser();
  removeNetwork(); // what a killed run left
  // The address must be nobody's: no local address in its /24, no route narrower than a default.
  const routes = sh("route check", "ip", ["-4", "route", "show", "to", "match", BACKUP_ADDRESS]).split("\n").filter((l) => l.trim() !== "");
  const narrow = routes.filter((l) => Number(/^\S+\/(\d+)/.exec(l)?.[1] ?? 32) >= 24 && !l.startsWith("default"));
  if (narrow.length > 0 || sh("address check", "ip", ["-4", "addr", "show", "to", PREFIX]).trim() !== "") {
    throw new Error(`backup database: ${PREFIX} is already a network of this machine (${narrow[0] ?? "an address in it"}); it must be free`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "te-backup-"));
  const password = randomBytes(18).toString("base64url");
  let pid: number | undefined;
  const stop = () => {
    if (pid !== undefined) {
      signal(pid, "SIGINT"); // fast shutdown
      for (let i = 0; i < 50 && alive(pid); i++) spawnSync("sleep", ["0.2"]);
      if (alive(pid)) signal(pid, "SIGKILL");
      pid = undefined;
    }
    removeNetwork();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const data = path.join(dir, "data");
    fs.chmodSync(dir, 0o755);
    sh("chown", "chown", [`${user.uid}:${user.gid}`, dir]);
    const asUser = ["--reuid", user.uid, "--regid", user.gid, "--clear-groups"];
    const pwfile = path.join(dir, "pw");
    fs.writeFileSync(pwfile, password + "\n", { mode: 0o600 });
    sh("chown", "chown", [`${user.uid}:${user.gid}`, pwfile]);
    sh("initdb", "setpriv", [...asUser, path.join(bin, "initdb"), "-D", data, "-U", "backup", `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
    fs.rmSync(pwfile);
    sh("certificate", "openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=backup.invalid", "-days", "1", "-keyout", path.join(data, "server.key"), "-out", path.join(data, "server.crt")]);
    sh("chown", "chown", [`${user.uid}:${user.gid}`, path.join(data, "server.key"), path.join(data, "server.crt")]);
    fs.chmodSync(path.join(data, "server.key"), 0o600);
    fs.appendFileSync(path.join(data, "pg_hba.conf"), "hostssl all all 0.0.0.0/0 scram-sha-256\n");

    sh("netns", "ip", ["netns", "add", NETNS]);
    sh("veth", "ip", ["link", "add", HOST_LINK, "type", "veth", "peer", "name", NS_LINK, "netns", NETNS]);
    sh("host address", "ip", ["addr", "add", `${HOST_ADDRESS}/24`, "dev", HOST_LINK]);
    sh("host link", "ip", ["link", "set", HOST_LINK, "up"]);
    sh("backup address", "ip", ["-n", NETNS, "addr", "add", `${BACKUP_ADDRESS}/24`, "dev", NS_LINK]);
    sh("backup link", "ip", ["-n", NETNS, "link", "set", NS_LINK, "up"]);
    sh("backup loopback", "ip", ["-n", NETNS, "link", "set", "lo", "up"]);
    sh("backup route", "ip", ["-n", NETNS, "route", "add", "default", "via", HOST_ADDRESS]);
    if (!sh("route check", "ip", ["-4", "route", "show", "to", "match", BACKUP_ADDRESS]).includes(PREFIX)) {
      throw new Error(`backup database: the host has no route to ${PREFIX} through ${HOST_LINK}`);
    }

    // Port 443 as an unprivileged user: CAP_NET_BIND_SERVICE, ambient, for the server only.
    const log = fs.openSync(path.join(dir, "server.log"), "w");
    const server = spawn(
      "ip",
      ["netns", "exec", NETNS, "setpriv", ...asUser, "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service",
        path.join(bin, "postgres"), "-D", data, "-p", String(BACKUP_PORT), "-k", dir, "-c", `listen_addresses=${BACKUP_ADDRESS}`, "-c", "ssl=on", "-c", "fsync=off"],
      { stdio: ["ignore", log, log] },
    );
    fs.closeSync(log);
    pid = server.pid; // ip netns exec and setpriv exec: this is the postmaster
    const psql = (sql: string, db = "postgres") => sh("psql", path.join(bin, "psql"), ["-h", dir, "-p", String(BACKUP_PORT), "-U", "backup", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atq"], { input: sql });
    for (let i = 0; ; i++) {
      if (spawnSync(path.join(bin, "pg_isready"), ["-h", dir, "-p", String(BACKUP_PORT), "-q"]).status === 0) break;
      if (pid === undefined || !alive(pid) || i > 150) throw new Error(`backup database: the server did not start:\n${fs.readFileSync(path.join(dir, "server.log"), "utf8").slice(-2000)}`);
      spawnSync("sleep", ["0.2"]);
    }
    // From the host, over the routed address: the way the pods come.
    sh("reachable from the host", path.join(bin, "pg_isready"), ["-h", BACKUP_ADDRESS, "-p", String(BACKUP_PORT), "-t", "10"]);
    psql("CREATE DATABASE backup;");
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    psql(
      "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL);\n" +
        customers.map((c) => `INSERT INTO customers VALUES (${c.id}, ${q(c.email)}, ${q(c.name)});`).join("\n"),
      "backup",
    );
    return { url: `postgres://backup:${password}@${BACKUP_ADDRESS}:${BACKUP_PORT}/backup?sslmode=require`, stop };
  } catch (e) {
    stop();
    throw e;
  }
}

/** Removes the namespace, every process still in it, and the host's end of the veth pair (with its route). */
function removeNetwork(): void {
  const pids = spawnSync("ip", ["netns", "pids", NETNS], { encoding: "utf8" }).stdout ?? "";
  for (const p of pids.split("\n").filter(Boolean)) signal(Number(p), "SIGKILL");
  spawnSync("ip", ["netns", "del", NETNS]);
  spawnSync("ip", ["link", "del", HOST_LINK]);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Running and not a zombie (the event loop, which reaps children, does not run in these synchronous waits). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
