// Command pause holds a pod's namespaces open, as Kubernetes' pause does: it waits for SIGINT or
// SIGTERM and exits 0, and, as PID 1 of a pod that shares its PID namespace, reaps every zombie
// child on SIGCHLD. It is the sandbox_image of the local node's containerd (scripts/images.sh).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is what `pause -v` prints; the image tag says the same.
const version = "team-environments pause 1"

func main() {
	if len(os.Args) > 1 {
		if os.Args[1] == "-v" || os.Args[1] == "--version" {
			fmt.Println(version)
			return
		}
		fmt.Fprintln(os.Stderr, "usage: pause [-v]")
		os.Exit(2)
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: warning: not PID 1")
	}
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintf(os.Stderr, "Shutting down, got signal: %v\n", s)
		os.Exit(0)
	}
}

// reap collects every exited child. Signals coalesce, so one SIGCHLD may stand for many children.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
