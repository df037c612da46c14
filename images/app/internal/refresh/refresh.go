// Package refresh is staging's data refresh (components/data-refresh.ts): it copies the demo
// table customers from a restored production backup into staging, replacing personal data.
package refresh

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Options are the command line of `tools refresh-staging-data`.
type Options struct {
	Source, Target string
	AnonymizePII   bool
}

// Validate refuses a run that could leak personal data or overwrite production.
func (o Options) Validate() error {
	var problems []string
	if o.Source == "" {
		problems = append(problems, "--source is required (e.g. backup://production/latest)")
	}
	if o.Target == "" {
		problems = append(problems, "--target is required (e.g. staging)")
	}
	if o.Target == "production" {
		problems = append(problems, "--target=production: the refresh writes only to a non-production environment")
	}
	if !o.AnonymizePII {
		problems = append(problems, "--anonymize-pii is required: production data never reaches another environment unanonymised")
	}
	if len(problems) > 0 {
		return fmt.Errorf("refusing to run: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Anonymize replaces a customer's email and name with values derived from the id only, so no
// part of the original survives and references by id stay intact.
func Anonymize(id int64) (email, name string) {
	return fmt.Sprintf("customer-%d@example.invalid", id), fmt.Sprintf("Customer %d", id)
}

// Copy replaces target's customers with source's, anonymised, in one target transaction (a
// failed refresh leaves staging as it was). It returns the number of rows copied.
func Copy(ctx context.Context, source, target *pgx.Conn) (int64, error) {
	rows, err := source.Query(ctx, "SELECT id, email, name FROM customers ORDER BY id")
	if err != nil {
		return 0, fmt.Errorf("read source customers: %w", err)
	}
	defer rows.Close()
	tx, err := target.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS customers (id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL)`); err != nil {
		return 0, fmt.Errorf("target customers: %w", err)
	}
	if _, err := tx.Exec(ctx, "TRUNCATE customers"); err != nil {
		return 0, fmt.Errorf("empty target customers: %w", err)
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"customers"}, []string{"id", "email", "name"}, pgx.CopyFromFunc(func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		var id int64
		var email, name string
		if err := rows.Scan(&id, &email, &name); err != nil {
			return nil, err
		}
		email, name = Anonymize(id)
		return []any{id, email, name}, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("copy customers: %w", err)
	}
	return n, tx.Commit(ctx)
}
