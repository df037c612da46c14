// Package watch is a client that keeps calling services, for the end-to-end test that a rolling
// update serves every request: it reports every failed request at once and, every interval, how
// many requests succeeded and which versions answered.
package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options of Run.
type Options struct {
	URLs     []string      // GET in turn; each answers /version JSON ({"version": …}) or any 200
	Pause    time.Duration // between requests
	Timeout  time.Duration // per request
	Report   time.Duration // how often a summary line is written
	Duration time.Duration // 0: until ctx ends
}

// Run calls the URLs in turn until ctx ends (or Duration passes), writing "fail URL: why" for
// each failed request as it happens, "ok=N fail=M versions=v1:3,v2:5" every Report, and that
// summary once more at the end. It returns the number of failed requests.
func Run(ctx context.Context, o Options, out io.Writer) int {
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	// A new connection per request: each one goes through the Service's current endpoints, so a
	// terminating pod still listed there would fail a request (keep-alive would pin one backend).
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	var mu sync.Mutex
	ok, failed := 0, 0
	versions := map[string]int{}
	summary := func() string {
		mu.Lock()
		defer mu.Unlock()
		keys := make([]string, 0, len(versions))
		for v := range versions {
			keys = append(keys, v)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, v := range keys {
			parts[i] = fmt.Sprintf("%s:%d", v, versions[v])
		}
		return fmt.Sprintf("ok=%d fail=%d versions=%s", ok, failed, strings.Join(parts, ","))
	}
	ticker := time.NewTicker(o.Report)
	defer ticker.Stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			url := o.URLs[i%len(o.URLs)]
			version, err := get(ctx, client, url)
			mu.Lock()
			switch {
			case err != nil && ctx.Err() != nil:
				// Cut short by the end of the run: not the service's failure.
			case err != nil:
				failed++
				fmt.Fprintf(out, "fail %s: %v\n", url, err)
			default:
				ok++
				versions[version]++
			}
			mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(o.Pause):
			}
		}
	}()
	for {
		select {
		case <-ticker.C:
			fmt.Fprintln(out, summary())
		case <-done:
			fmt.Fprintln(out, summary())
			return failed
		}
	}
}

func get(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var v struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(body, &v) != nil || v.Version == "" {
		return "unversioned", nil
	}
	return v.Version, nil
}
