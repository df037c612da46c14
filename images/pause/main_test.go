package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as pause when PAUSE_HELPER is set.
func TestMain(m *testing.M) {
	if os.Getenv("PAUSE_HELPER") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestExitsZeroOnSIGTERM(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PAUSE_HELPER=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v (stderr %q)", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("still running 5s after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "Shutting down, got signal: terminated") {
		t.Fatalf("stderr = %q", stderr.String())
	}
}

func TestReapCollectsExitedChildren(t *testing.T) {
	var pids []int
	for i := 0; i < 3; i++ {
		cmd := exec.Command("true")
		if err := cmd.Start(); err != nil {
			t.Skip("no `true` to start:", err)
		}
		pids = append(pids, cmd.Process.Pid) // never waited for: a zombie once it exits
	}
	time.Sleep(200 * time.Millisecond)
	reap()
	for _, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("child %d is still there (a zombie) after reap", pid)
		}
	}
}
