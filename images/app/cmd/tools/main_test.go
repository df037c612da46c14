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

func TestWatchHTTPAndProbeRefuseBadArgumentsInOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, "probe: no target"},
		{[]string{"probe", "--timeout=0s", "127.0.0.1:9"}, "probe: --timeout=0s: expected a positive duration"},
		{[]string{"probe", "--timeout=-2s", "127.0.0.1:9"}, "probe: --timeout=-2s: expected a positive duration"},
		{[]string{"watch-http"}, "watch-http: no URL"},
		{[]string{"watch-http", "--report=0s", "http://x"}, "watch-http: --report=0s: expected a positive duration"},
		{[]string{"watch-http", "--timeout=0s", "http://x"}, "watch-http: --timeout=0s: expected a positive duration"},
		{[]string{"watch-http", "--pause=-1s", "http://x"}, "watch-http: --pause=-1s: expected a duration of zero or more"},
	} {
		_, err := run(tc.args, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.args, err, tc.want)
		}
	}
}
