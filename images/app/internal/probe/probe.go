// Package probe answers, from inside a pod, "could this pod open that port?" for the end-to-end
// tests that compare NetworkPolicy enforcement with the policy pack's reachability matrix.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result of one target.
type Result struct {
	Target  string
	Outcome string // open, refused, timeout, resolved, unresolved, error
	Detail  string
}

func (r Result) String() string {
	if r.Detail == "" {
		return r.Target + " " + r.Outcome
	}
	return r.Target + " " + r.Outcome + " " + r.Detail
}

// Run tries every target side by side and returns the results in the targets' order. A target is
// HOST:PORT (a TCP connection: open; refused when nothing listens or a policy rejected it, as
// kube-router does; timeout when a packet was dropped) or dns:NAME (a lookup through the pod's
// resolver).
func Run(ctx context.Context, targets []string, timeout time.Duration) ([]Result, error) {
	for _, t := range targets {
		if name, ok := strings.CutPrefix(t, "dns:"); ok {
			if name == "" {
				return nil, fmt.Errorf("target %q: expected dns:NAME", t)
			}
			continue
		}
		if _, port, err := net.SplitHostPort(t); err != nil || port == "" {
			return nil, fmt.Errorf("target %q: expected HOST:PORT or dns:NAME", t)
		}
	}
	out := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if name, ok := strings.CutPrefix(t, "dns:"); ok {
				out[i] = lookup(c, t, name)
			} else {
				out[i] = dial(c, t)
			}
		}()
	}
	wg.Wait()
	return out, nil
}

func dial(ctx context.Context, target string) Result {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", target)
	switch {
	case err == nil:
		_ = conn.Close()
		return Result{Target: target, Outcome: "open"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Result{Target: target, Outcome: "refused"}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return Result{Target: target, Outcome: "timeout"}
	default:
		return Result{Target: target, Outcome: "error", Detail: err.Error()}
	}
}

func lookup(ctx context.Context, target, name string) Result {
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return Result{Target: target, Outcome: "unresolved", Detail: err.Error()}
	}
	return Result{Target: target, Outcome: "resolved", Detail: strings.Join(addrs, ",")}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
