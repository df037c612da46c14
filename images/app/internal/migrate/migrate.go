// Package migrate is the application's schema: the steps every version needs and the record of
// which application versions were migrated (schema_migrations), which readiness checks.
package migrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Table records one row per application version whose migrations ran.
const Table = "schema_migrations"

// lockID serialises concurrent runs: core-api's and auth's migration Jobs share one database and
// may start together; CREATE TABLE IF NOT EXISTS alone races on the catalog.
const lockID = 727274

// Step is one schema change; every step is idempotent, so a rerun after a crash is safe.
type Step struct {
	ID  string
	SQL string
}

// Steps are the schema of this version, in order. customers is the demo table the staging data
// refresh copies (cmd/tools).
var Steps = []Step{
	{ID: "0001", SQL: `CREATE TABLE IF NOT EXISTS customers (
		id    bigint PRIMARY KEY,
		email text   NOT NULL,
		name  text   NOT NULL
	)`},
}

// BrokenStep is the step the deliberately broken image (MIGRATE_FAIL=1) fails at.
const BrokenStep = "0002"

// Up runs the steps and records version, in one transaction under an advisory lock. applied is
// false when version was already recorded (the rerun changes nothing).
func Up(ctx context.Context, conn *pgx.Conn, version string) (applied bool, err error) {
	if version == "" {
		return false, errors.New("no application version to record (APP_VERSION is empty)")
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockID); err != nil {
		return false, fmt.Errorf("lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+Table+` (
		version    text PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return false, fmt.Errorf("create %s: %w", Table, err)
	}
	for _, s := range Steps {
		if _, err := tx.Exec(ctx, s.SQL); err != nil {
			return false, fmt.Errorf("migration %s: %w", s.ID, err)
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO `+Table+` (version, applied_at) VALUES ($1, now()) ON CONFLICT (version) DO NOTHING`, version)
	if err != nil {
		return false, fmt.Errorf("record version %s: %w", version, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// ErrNotMigrated says why a database is not (yet) right for a version.
type ErrNotMigrated struct{ Reason string }

func (e ErrNotMigrated) Error() string { return e.Reason }

// Querier is what Check needs of a connection or a pool.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Check returns nil when version is recorded, ErrNotMigrated when the database answers but is
// not migrated for it, and the connection's error otherwise.
func Check(ctx context.Context, q Querier, version string) error {
	var found bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+Table+` WHERE version = $1)`, version).Scan(&found)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return ErrNotMigrated{Reason: Table + " does not exist: migrations have not run"}
	case err != nil:
		return err
	case !found:
		return ErrNotMigrated{Reason: fmt.Sprintf("%s has no version %s: migrations for this image have not run", Table, version)}
	}
	return nil
}
