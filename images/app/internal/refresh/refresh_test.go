package refresh

import (
	"context"
	"strings"
	"testing"
	"time"

	"team-environments/images/app/internal/dbconn"
	"team-environments/images/app/internal/pgtest"
)

func TestFailsWithoutAnonymizePII(t *testing.T) {
	err := Options{Source: "backup://production/latest", Target: "staging"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--anonymize-pii is required") {
		t.Fatalf("err = %v", err)
	}
}

func TestFailsWhenTheTargetIsProduction(t *testing.T) {
	err := Options{Source: "backup://production/latest", Target: "production", AnonymizePII: true}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--target=production") {
		t.Fatalf("err = %v", err)
	}
}

func TestCopyReplacesTargetRowsWithAnonymisedOnes(t *testing.T) {
	ctx := context.Background()
	s := pgtest.Start(t)
	admin, err := dbconn.Connect(ctx, s.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE source"); err != nil {
		t.Fatal(err)
	}
	srcSettings := s
	srcSettings.Name = "source"
	src, err := dbconn.Connect(ctx, srcSettings.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	if _, err := src.Exec(ctx, `CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL);
		INSERT INTO customers VALUES (1, 'ada@example.com', 'Ada Lovelace'), (2, 'alan@example.com', 'Alan Turing')`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL);
		INSERT INTO customers VALUES (99, 'stale@example.com', 'Stale')`); err != nil {
		t.Fatal(err)
	}
	n, err := Copy(ctx, src, admin)
	if err != nil || n != 2 {
		t.Fatalf("copy: n=%d err=%v", n, err)
	}
	rows, _ := admin.Query(ctx, "SELECT id, email, name FROM customers ORDER BY id")
	var got []string
	for rows.Next() {
		var id int64
		var email, name string
		_ = rows.Scan(&id, &email, &name)
		got = append(got, email+"|"+name)
	}
	want := "customer-1@example.invalid|Customer 1 customer-2@example.invalid|Customer 2"
	if strings.Join(got, " ") != want {
		t.Fatalf("target customers = %q", got)
	}
}
