package main

import (
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func code(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestSIGTERMFailsReadinessKeepsServingThenStops(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	t.Setenv("SERVICE", "api-gateway")
	t.Setenv("APP_VERSION", "v1")
	t.Setenv("PORT", port)
	t.Setenv("SHUTDOWN_DELAY", "500ms")
	t.Setenv("DATABASE_HOST", "")
	done := make(chan error, 1)
	go func() { done <- run(log.New(io.Discard, "", 0)) }()
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(5 * time.Second)
	for code(t, base+"/ready") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("server never became ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if got := code(t, base+"/ready"); got != 503 {
		t.Errorf("readiness while draining = %d, want 503", got)
	}
	if got := code(t, base+"/health"); got != 200 {
		t.Errorf("liveness while draining = %d, want 200", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop within 5s of SIGTERM")
	}
	if got := code(t, base+"/health"); got != 0 {
		t.Errorf("still answering after stop: %d", got)
	}
}
