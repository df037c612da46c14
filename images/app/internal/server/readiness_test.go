package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestWatchedLogsOnlyChanges(t *testing.T) {
	var err error = errors.New("schema_migrations does not exist: migrations have not run")
	var lines []string
	w := NewWatched(func(context.Context) error { return err }, time.Hour, time.Second, func(f string, a ...any) {
		lines = append(lines, fmt.Sprintf(f, a...))
	})
	if ok, reason := w.Ready(); ok || reason != "not checked yet" {
		t.Fatalf("before the first check: %v %q", ok, reason)
	}
	w.CheckOnce(context.Background())
	w.CheckOnce(context.Background())
	err = nil
	w.CheckOnce(context.Background())
	w.CheckOnce(context.Background())
	if ok, _ := w.Ready(); !ok {
		t.Fatal("not ready after a passing check")
	}
	want := []string{"not ready: schema_migrations does not exist: migrations have not run", "ready"}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Fatalf("log = %q, want %q", lines, want)
	}
}

func TestWatchedBoundsEachCheck(t *testing.T) {
	w := NewWatched(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, time.Hour, 50*time.Millisecond, func(string, ...any) {})
	start := time.Now()
	w.CheckOnce(context.Background())
	if ok, _ := w.Ready(); ok || time.Since(start) > 2*time.Second {
		t.Fatalf("a hanging check: ready=%v after %s", ok, time.Since(start))
	}
}
