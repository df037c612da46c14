package server

import (
	"context"
	"sync"
	"time"
)

// CheckFunc returns nil when the service can serve, or why not.
type CheckFunc func(ctx context.Context) error

// Watched is readiness that a background loop keeps current (a probe never waits for the
// database), and that logs once per change.
type Watched struct {
	check    CheckFunc
	interval time.Duration
	timeout  time.Duration
	logf     func(format string, args ...any)

	mu      sync.Mutex
	ok      bool
	reason  string
	checked bool
}

// NewWatched checks every interval, each check bounded by timeout; logf receives one line per
// change. It starts not ready ("not checked yet").
func NewWatched(check CheckFunc, interval, timeout time.Duration, logf func(string, ...any)) *Watched {
	return &Watched{check: check, interval: interval, timeout: timeout, logf: logf, reason: "not checked yet"}
}

// Ready is the result of the last check.
func (w *Watched) Ready() (bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ok, w.reason
}

// CheckOnce runs the check now and records (and logs) a change.
func (w *Watched) CheckOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	err := w.check(ctx)
	ok, reason := err == nil, ""
	if err != nil {
		reason = err.Error()
	}
	w.mu.Lock()
	changed := !w.checked || ok != w.ok || reason != w.reason
	w.ok, w.reason, w.checked = ok, reason, true
	w.mu.Unlock()
	if !changed {
		return
	}
	if ok {
		w.logf("ready")
	} else {
		w.logf("not ready: %s", reason)
	}
}

// Run checks until ctx ends.
func (w *Watched) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		w.CheckOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
