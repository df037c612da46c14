package probe

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestOpenAndRefusedInTheTargetsOrder(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	got, err := Run(context.Background(), []string{closedAddr, l.Addr().String(), "dns:localhost"}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"refused", "open", "resolved"}
	for i, r := range got {
		if r.Outcome != want[i] {
			t.Fatalf("result %d = %v, want %s", i, r, want[i])
		}
	}
	if !strings.HasPrefix(got[1].String(), l.Addr().String()+" open") {
		t.Fatalf("line = %q", got[1].String())
	}
}

func TestATargetThatIsNeitherHostPortNorDNSIsAnError(t *testing.T) {
	for _, bad := range []string{"core-api", "dns:", "10.0.0.1:"} {
		if _, err := Run(context.Background(), []string{bad}, time.Second); err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("%q: err = %v", bad, err)
		}
	}
}

func TestAConnectionCutShortByTheDeadlineIsATimeout(t *testing.T) {
	// What a dropped SYN looks like from the client: no answer before the deadline.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if got := dial(ctx, "192.0.2.1:9"); got.Outcome != "timeout" {
		t.Fatalf("got %v", got)
	}
}
