package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type fixedReadiness struct {
	ok     bool
	reason string
}

func (f *fixedReadiness) Ready() (bool, string) { return f.ok, f.reason }

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestProbePathsOfEveryService(t *testing.T) {
	cases := []struct{ service, ready, live, foreign string }{
		{"pwa", "/", "/healthz", "/ready"},
		{"api-gateway", "/ready", "/health", "/healthz"},
		{"core-api", "/ready", "/health", "/"},
		{"auth", "/ready", "/health", "/"},
	}
	for _, c := range cases {
		t.Run(c.service, func(t *testing.T) {
			s, err := New(c.service, "v1", AlwaysReady{})
			if err != nil {
				t.Fatal(err)
			}
			for path, want := range map[string]int{c.ready: 200, c.live: 200, c.foreign: 404, "/nope": 404, "/metrics": 200, "/version": 200} {
				if got := get(t, s, path).Code; got != want {
					t.Errorf("GET %s = %d, want %d", path, got, want)
				}
			}
		})
	}
}

func TestFailsWhenTheServiceIsUnknown(t *testing.T) {
	if _, err := New("billing", "v1", AlwaysReady{}); err == nil || !strings.Contains(err.Error(), `unknown SERVICE "billing"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestReadinessFollowsItsCheckButLivenessDoesNot(t *testing.T) {
	r := &fixedReadiness{ok: false, reason: "schema_migrations has no version v2"}
	s, _ := New("core-api", "v2", r)
	rec := get(t, s, "/ready")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "schema_migrations has no version v2") {
		t.Fatalf("not ready: %d %q", rec.Code, rec.Body.String())
	}
	if got := get(t, s, "/health").Code; got != 200 {
		t.Fatalf("liveness while not ready = %d", got)
	}
	r.ok = true
	if got := get(t, s, "/ready").Code; got != 200 {
		t.Fatalf("ready = %d", got)
	}
}

func TestDrainFailsReadinessAndKeepsServing(t *testing.T) {
	s, _ := New("api-gateway", "v1", AlwaysReady{})
	s.Drain()
	if got := get(t, s, "/ready"); got.Code != 503 || !strings.Contains(got.Body.String(), "shutting down") {
		t.Fatalf("readiness after drain = %d %q", got.Code, got.Body.String())
	}
	if got := get(t, s, "/health").Code; got != 200 {
		t.Fatalf("liveness after drain = %d", got)
	}
}

func TestMetricsCountRequestsByPathAndCode(t *testing.T) {
	s, _ := New("pwa", "v1", AlwaysReady{})
	get(t, s, "/")
	get(t, s, "/")
	get(t, s, "/a")
	get(t, s, "/b")
	body := get(t, s, "/metrics").Body.String()
	for _, want := range []string{
		"# TYPE http_requests_total counter",
		`http_requests_total{path="/",code="200"} 2`,
		`http_requests_total{path="other",code="404"} 2`,
		"app_ready 1",
		`app_build_info{service="pwa",version="v1"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestVersion(t *testing.T) {
	s, _ := New("auth", "broken-migration", AlwaysReady{})
	var got map[string]string
	if err := json.Unmarshal(get(t, s, "/version").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["service"] != "auth" || got["version"] != "broken-migration" {
		t.Fatalf("version = %v", got)
	}
}

func TestFailsWhenTheMethodIsNotGet(t *testing.T) {
	s, _ := New("core-api", "v1", AlwaysReady{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/ready", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /ready = %d", rec.Code)
	}
}
