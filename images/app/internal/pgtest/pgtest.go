// Package pgtest starts a throwaway PostgreSQL server for one test, from the binaries of Debian's
// postgresql package (PGTEST_BINDIR, else the newest /usr/lib/postgresql/*/bin); the test is
// skipped when there are none. The server listens on a free 127.0.0.1 port, trusts every local
// connection, and is stopped and deleted by the test's cleanup.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"team-environments/images/app/internal/dbconn"
)

// Start returns the settings of a new empty database "postgres", user "test", no password.
func Start(t *testing.T) dbconn.Settings {
	t.Helper()
	bin := binDir()
	if bin == "" {
		t.Skip("no PostgreSQL server binaries (set PGTEST_BINDIR or install Debian's postgresql)")
	}
	// Postgres refuses to run as root: as root, run it as the postgres (or nobody) user.
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		cred = unprivileged(t)
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}
	if out, err := command("initdb", "-D", data, "-U", "test", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freePort(t)
	server := command("postgres", "-D", data, "-p", port, "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	server.Stdout, server.Stderr = logFile, logFile
	if err := server.Start(); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() {
		_ = server.Process.Signal(syscall.SIGINT) // fast shutdown
		_ = server.Wait()
		_ = logFile.Close()
	})
	s := dbconn.Settings{Host: "127.0.0.1", Port: port, User: "test", Name: "postgres", SSLMode: "disable"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := dbconn.Connect(context.Background(), s.URL(), 2*time.Second)
		if err == nil {
			_ = conn.Close(context.Background())
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Fatalf("postgres did not accept connections: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func binDir() string {
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func unprivileged(t *testing.T) *syscall.Credential {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	t.Skip("running as root and there is no postgres or nobody user to run PostgreSQL as")
	return nil
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}
