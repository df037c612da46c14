import { startBackupDatabase } from "./tests/e2e/backup-database";
import { spawnSync } from "child_process";
const b = startBackupDatabase([{ id: 1, email: "ann@example.com", name: "Ann O'Neil" }]);
const r = spawnSync("psql", [b.url, "-Atc", "select id, email, name, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) from customers"], { encoding: "utf8" });
console.log(r.status, r.stdout, r.stderr);
b.stop();
