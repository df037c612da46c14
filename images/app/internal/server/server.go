// Package server is the HTTP side of every service: its probe paths, /metrics, /version, and
// readiness that follows the database when the service has one.
package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Routes are a service's probe paths.
type Routes struct {
	Readiness string
	Liveness  string
}

// ServiceRoutes is the application team's own table of probe paths (the program's copy is
// base/catalogue.ts; a service missing here does not start).
var ServiceRoutes = map[string]Routes{
	"pwa":         {Readiness: "/", Liveness: "/healthz"},
	"api-gateway": {Readiness: "/ready", Liveness: "/health"},
	"core-api":    {Readiness: "/ready", Liveness: "/health"},
	"auth":        {Readiness: "/ready", Liveness: "/health"},
}

// Readiness tells whether the service may take traffic, and why not.
type Readiness interface {
	Ready() (ok bool, reason string)
}

// AlwaysReady is the readiness of a service without a database.
type AlwaysReady struct{}

// Ready is always true.
func (AlwaysReady) Ready() (bool, string) { return true, "" }

// Server answers a service's requests.
type Server struct {
	service   string
	version   string
	routes    Routes
	readiness Readiness
	draining  atomic.Bool

	mu       sync.Mutex
	requests map[requestKey]uint64
}

type requestKey struct {
	path string
	code int
}

// New is the server of service at version; an unknown service is an error.
func New(service, version string, readiness Readiness) (*Server, error) {
	routes, ok := ServiceRoutes[service]
	if !ok {
		names := make([]string, 0, len(ServiceRoutes))
		for n := range ServiceRoutes {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("unknown SERVICE %q (known: %s)", service, strings.Join(names, ", "))
	}
	return &Server{service: service, version: version, routes: routes, readiness: readiness, requests: map[requestKey]uint64{}}, nil
}

// Routes are the server's probe paths.
func (s *Server) Routes() Routes { return s.routes }

// Drain makes readiness fail from now on (after SIGTERM), so endpoints drop the pod while it
// still serves what is in flight.
func (s *Server) Drain() { s.draining.Store(true) }

// Ready is the readiness the probe sees.
func (s *Server) Ready() (bool, string) {
	if s.draining.Load() {
		return false, "shutting down"
	}
	return s.readiness.Ready()
}

// ServeHTTP routes on the exact path: the probe paths, /metrics, /version; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	label := s.route(rec, r)
	s.count(label, rec.code)
}

// route answers r and returns the path label of the request counter (unknown paths share one
// label, so a scan cannot grow the metrics without bound).
func (s *Server) route(w http.ResponseWriter, r *http.Request) string {
	path := r.URL.Path
	known := path == s.routes.Readiness || path == s.routes.Liveness || path == "/metrics" || path == "/version"
	if !known {
		http.NotFound(w, r)
		return "other"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return path
	}
	switch path {
	case s.routes.Readiness:
		if ok, reason := s.Ready(); !ok {
			http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
			return path
		}
		text(w, "ready\n")
	case s.routes.Liveness:
		text(w, "ok\n")
	case "/metrics":
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.writeMetrics(w)
	case "/version":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"service": s.service, "version": s.version})
	}
	return path
}

func text(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, body)
}

func (s *Server) count(path string, code int) {
	s.mu.Lock()
	s.requests[requestKey{path, code}]++
	s.mu.Unlock()
}

// writeMetrics writes the Prometheus text format: requests by path and code, readiness, build info.
func (s *Server) writeMetrics(w io.Writer) {
	s.mu.Lock()
	keys := make([]requestKey, 0, len(s.requests))
	for k := range s.requests {
		keys = append(keys, k)
	}
	counts := make(map[requestKey]uint64, len(keys))
	for _, k := range keys {
		counts[k] = s.requests[k]
	}
	s.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].path != keys[j].path {
			return keys[i].path < keys[j].path
		}
		return keys[i].code < keys[j].code
	})
	fmt.Fprintln(w, "# HELP http_requests_total HTTP requests served, by path and status code.")
	fmt.Fprintln(w, "# TYPE http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "http_requests_total{path=%q,code=\"%d\"} %d\n", k.path, k.code, counts[k])
	}
	ready := 0
	if ok, _ := s.Ready(); ok {
		ready = 1
	}
	fmt.Fprintln(w, "# HELP app_ready Whether the service reports ready (1) or not (0).")
	fmt.Fprintln(w, "# TYPE app_ready gauge")
	fmt.Fprintf(w, "app_ready %d\n", ready)
	fmt.Fprintln(w, "# HELP app_build_info The service and application version of this image.")
	fmt.Fprintln(w, "# TYPE app_build_info gauge")
	fmt.Fprintf(w, "app_build_info{service=%q,version=%q} 1\n", s.service, s.version)
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.code, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}
