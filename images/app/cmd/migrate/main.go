// Command migrate is the services' migrations Job (`/app/migrate up`, components/app-service.ts):
// it runs the schema steps and records APP_VERSION in schema_migrations, idempotently.
//
// Env: APP_VERSION and MIGRATE_FAIL (the deliberately broken image) from the image;
// DATABASE_HOST, _PORT, _USER, _PASSWORD, _NAME from the pod; MIGRATE_CONNECT_TIMEOUT (Go
// duration, default 60s): how long to wait for the database to accept connections.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"team-environments/images/app/internal/dbconn"
	"team-environments/images/app/internal/migrate"
)

func main() {
	msg, err := run(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "migrate: %s\n", err)
		os.Exit(1)
	}
	fmt.Printf("migrate: %s\n", msg)
}

func run(args []string, getenv func(string) string) (string, error) {
	if len(args) != 1 || args[0] != "up" {
		return "", fmt.Errorf("usage: migrate up")
	}
	version := getenv("APP_VERSION")
	if getenv("MIGRATE_FAIL") == "1" {
		return "", fmt.Errorf("migration %s failed: deliberately broken image (MIGRATE_FAIL=1)", migrate.BrokenStep)
	}
	db, ok, err := dbconn.FromEnv("DATABASE_", getenv)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("DATABASE_HOST is not set: nothing to migrate")
	}
	wait := 60 * time.Second
	if v := getenv("MIGRATE_CONNECT_TIMEOUT"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil {
			return "", fmt.Errorf("MIGRATE_CONNECT_TIMEOUT: %w", err)
		}
	}
	ctx := context.Background()
	// A preview's migrations start together with its database (components/postgres.ts): retry
	// often, so they begin within half a second of Postgres accepting connections.
	conn, err := dbconn.ConnectRetry(ctx, db.URL(), wait, 500*time.Millisecond)
	if err != nil {
		if dbconn.IsAuthError(err) {
			return "", fmt.Errorf("%s rejected the credentials: %s", db, dbconn.Brief(err))
		}
		return "", fmt.Errorf("cannot connect to %s within %.0fs: %s", db, wait.Seconds(), dbconn.Brief(err))
	}
	defer conn.Close(ctx)
	applied, err := migrate.Up(ctx, conn, version)
	if err != nil {
		return "", fmt.Errorf("%s: %s", db, dbconn.Brief(err))
	}
	if !applied {
		return fmt.Sprintf("version %s already applied to %s (nothing to do)", version, db), nil
	}
	ids := ""
	for _, s := range migrate.Steps {
		ids += " " + s.ID
	}
	return fmt.Sprintf("applied version %s to %s (steps%s, recorded in %s)", version, db, ids, migrate.Table), nil
}
