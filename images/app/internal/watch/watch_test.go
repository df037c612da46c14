package watch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCountsVersionsAndReportsEveryFailure(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch i := n.Add(1); {
		case i == 3:
			http.Error(w, "draining", http.StatusServiceUnavailable)
		case i < 5:
			_, _ = w.Write([]byte(`{"service":"pwa","version":"v1"}`))
		default:
			_, _ = w.Write([]byte(`{"service":"pwa","version":"v2"}`))
		}
	}))
	defer srv.Close()
	var out strings.Builder
	failed := Run(context.Background(), Options{URLs: []string{srv.URL + "/version"}, Pause: 5 * time.Millisecond, Timeout: time.Second, Report: time.Hour, Duration: 200 * time.Millisecond}, &out)
	if failed != 1 {
		t.Fatalf("failed = %d\n%s", failed, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "fail "+srv.URL+"/version: HTTP 503") {
		t.Fatalf("first line = %q", lines[0])
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "fail=1") || !strings.Contains(last, "versions=v1:3,v2:") {
		t.Fatalf("summary = %q", last)
	}
}

func TestAnUnreachableServiceIsAFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var out strings.Builder
	if failed := Run(context.Background(), Options{URLs: []string{url}, Pause: 10 * time.Millisecond, Timeout: time.Second, Report: time.Hour, Duration: 50 * time.Millisecond}, &out); failed == 0 {
		t.Fatalf("no failure:\n%s", out.String())
	}
}
