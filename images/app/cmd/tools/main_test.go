package main

import (
	"io"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFailsWhenTheSecretKeysAreMissing(t *testing.T) {
	_, err := run([]string{"refresh-staging-data", "--source=backup://production/latest", "--target=staging", "--anonymize-pii"},
		env(map[string]string{"TARGET_DATABASE_HOST": "postgres.staging.svc.cluster.local", "TARGET_DATABASE_PASSWORD": "x"}), io.Discard)
	want := "refresh-staging-data: missing SOURCE_DATABASE_URL (from Secret data-refresh-secrets), TARGET_DATABASE_USER (from Secret data-refresh-secrets), TARGET_DATABASE_NAME (from Secret data-refresh-secrets)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v", err)
	}
}

func TestFailsWithoutAnonymizePII(t *testing.T) {
	_, err := run([]string{"refresh-staging-data", "--source=backup://production/latest", "--target=staging"}, env(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--anonymize-pii is required") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedactHidesThePassword(t *testing.T) {
	if got := redact("postgres://backup:s3cret@db:5432/prod"); strings.Contains(got, "s3cret") {
		t.Fatalf("redact = %s", got)
	}
}
