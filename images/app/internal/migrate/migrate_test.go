package migrate

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"team-environments/images/app/internal/dbconn"
	"team-environments/images/app/internal/pgtest"
)

func connect(t *testing.T, s dbconn.Settings) *pgx.Conn {
	t.Helper()
	conn, err := dbconn.Connect(context.Background(), s.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestUpIsIdempotentAndReadinessFollowsIt(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, pgtest.Start(t))
	var notMigrated ErrNotMigrated
	if err := Check(ctx, conn, "v1"); !errors.As(err, &notMigrated) {
		t.Fatalf("check before any migration = %v", err)
	}
	if applied, err := Up(ctx, conn, "v1"); err != nil || !applied {
		t.Fatalf("first up: applied=%v err=%v", applied, err)
	}
	if applied, err := Up(ctx, conn, "v1"); err != nil || applied {
		t.Fatalf("second up: applied=%v err=%v", applied, err)
	}
	if err := Check(ctx, conn, "v1"); err != nil {
		t.Fatalf("check v1 after up: %v", err)
	}
	if err := Check(ctx, conn, "v2"); !errors.As(err, &notMigrated) {
		t.Fatalf("check v2 before its up = %v", err)
	}
	var rows int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("schema_migrations rows = %d (%v)", rows, err)
	}
}

func TestConcurrentUpsOfTwoServicesBothSucceed(t *testing.T) {
	s := pgtest.Start(t)
	a, b := connect(t, s), connect(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []*pgx.Conn{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = Up(context.Background(), c, "v1") }()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent up: %v, %v", errs[0], errs[1])
	}
}

func TestFailsWhenTheVersionIsEmpty(t *testing.T) {
	if _, err := Up(context.Background(), nil, ""); err == nil {
		t.Fatal("no error for an empty version")
	}
}
