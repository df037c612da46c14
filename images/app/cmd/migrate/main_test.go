package main

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestBrokenImageFailsWithoutTouchingTheDatabase(t *testing.T) {
	start := time.Now()
	// 192.0.2.1 (TEST-NET-1) never answers: a connection attempt would take the whole timeout.
	_, err := run([]string{"up"}, env(map[string]string{
		"MIGRATE_FAIL": "1", "APP_VERSION": "broken-migration",
		"DATABASE_HOST": "192.0.2.1", "DATABASE_USER": "u", "DATABASE_NAME": "d",
	}))
	if err == nil || err.Error() != "migration 0002 failed: deliberately broken image (MIGRATE_FAIL=1)" {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("took %s: it tried the database", time.Since(start))
	}
}

func TestFailsWithAClearMessageWhenTheDatabaseNeverAnswers(t *testing.T) {
	_, err := run([]string{"up"}, env(map[string]string{
		"APP_VERSION": "v1", "DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": "1", "DATABASE_USER": "u", "DATABASE_NAME": "d",
		"MIGRATE_CONNECT_TIMEOUT": "1s",
	}))
	if err == nil || !strings.HasPrefix(err.Error(), "cannot connect to postgres://u@127.0.0.1:1/d within 1s: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	if strings.Count(err.Error(), "connection refused") != 1 {
		t.Fatalf("the same failure is repeated: %v", err)
	}
}

func TestFailsWithoutDatabaseHostOrSubcommand(t *testing.T) {
	if _, err := run([]string{"up"}, env(nil)); err == nil || !strings.Contains(err.Error(), "DATABASE_HOST is not set") {
		t.Fatalf("err = %v", err)
	}
	if _, err := run(nil, env(nil)); err == nil || err.Error() != "usage: migrate up" {
		t.Fatalf("err = %v", err)
	}
}
