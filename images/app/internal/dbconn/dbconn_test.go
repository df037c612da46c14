package dbconn

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNoHostMeansNoDatabase(t *testing.T) {
	if _, ok, err := FromEnv("DATABASE_", env(nil)); ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
}

func TestFailsWhenUserAndNameAreMissing(t *testing.T) {
	_, _, err := FromEnv("DATABASE_", env(map[string]string{"DATABASE_HOST": "postgres"}))
	if err == nil || err.Error() != "DATABASE_HOST is set but DATABASE_USER and DATABASE_NAME are not" {
		t.Fatalf("err = %v", err)
	}
}

func TestURLEscapesThePasswordAndStringHidesIt(t *testing.T) {
	s, _, err := FromEnv("DATABASE_", env(map[string]string{
		"DATABASE_HOST": "postgres.qa.svc.cluster.local", "DATABASE_USER": "myapp", "DATABASE_NAME": "myapp", "DATABASE_PASSWORD": "p@ss/w:rd?",
	}))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != "p@ss/w:rd?" || cfg.Host != "postgres.qa.svc.cluster.local" || cfg.Port != 5432 || cfg.Database != "myapp" || cfg.User != "myapp" {
		t.Fatalf("URL %s parses to %s@%s:%d/%s password %q", s.URL(), cfg.User, cfg.Host, cfg.Port, cfg.Database, cfg.Password)
	}
	if strings.Contains(s.String(), "p@ss") {
		t.Fatalf("String shows the password: %s", s)
	}
}
