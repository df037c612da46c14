// Package dbconn reads the Postgres connection the program gives a pod (DATABASE_HOST, _PORT,
// _USER, _PASSWORD, _NAME; components/app-service.ts) and connects with pgx.
package dbconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Settings are one Postgres connection.
type Settings struct {
	Host     string
	Port     string
	User     string
	Password string
	Name     string
	// SSLMode is libpq's sslmode; "prefer" (the default) falls back to plain TCP, as the local
	// Postgres image has no certificate.
	SSLMode string
}

// FromEnv reads PREFIX_HOST, _PORT (default 5432), _USER, _PASSWORD, _NAME and _SSLMODE (default
// prefer). ok is false when PREFIX_HOST is unset: the service has no database. A set host with a
// missing user or database name is an error that names the variables.
func FromEnv(prefix string, getenv func(string) string) (s Settings, ok bool, err error) {
	s = Settings{
		Host:     getenv(prefix + "HOST"),
		Port:     getenv(prefix + "PORT"),
		User:     getenv(prefix + "USER"),
		Password: getenv(prefix + "PASSWORD"),
		Name:     getenv(prefix + "NAME"),
		SSLMode:  getenv(prefix + "SSLMODE"),
	}
	if s.Host == "" {
		return s, false, nil
	}
	if s.Port == "" {
		s.Port = "5432"
	}
	if s.SSLMode == "" {
		s.SSLMode = "prefer"
	}
	var missing []string
	if s.User == "" {
		missing = append(missing, prefix+"USER")
	}
	if s.Name == "" {
		missing = append(missing, prefix+"NAME")
	}
	if len(missing) > 0 {
		return s, true, fmt.Errorf("%sHOST is set but %s %s not", prefix, strings.Join(missing, " and "), map[bool]string{true: "is", false: "are"}[len(missing) == 1])
	}
	return s, true, nil
}

// URL is the connection string, with every part escaped (passwords may hold any character).
func (s Settings) URL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(s.User, s.Password),
		Host:     net.JoinHostPort(s.Host, s.Port),
		Path:     "/" + s.Name,
		RawQuery: url.Values{"sslmode": {s.SSLMode}}.Encode(),
	}
	return u.String()
}

// String names the connection without its password, for logs and errors.
func (s Settings) String() string {
	return fmt.Sprintf("postgres://%s@%s/%s", s.User, net.JoinHostPort(s.Host, s.Port), s.Name)
}

// Connect opens one connection, giving up after timeout.
func Connect(ctx context.Context, connString string, timeout time.Duration) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = timeout
	return pgx.ConnectConfig(ctx, cfg)
}

// ConnectRetry connects, retrying every interval for up to total (the database may still be
// starting). An authentication failure is not retried: waiting does not fix a wrong password.
func ConnectRetry(ctx context.Context, connString string, total, interval time.Duration) (*pgx.Conn, error) {
	deadline := time.Now().Add(total)
	for {
		attempt := min(10*time.Second, max(time.Until(deadline), time.Second))
		conn, err := Connect(ctx, connString, attempt)
		if err == nil {
			return conn, nil
		}
		if IsAuthError(err) || time.Now().Add(interval).After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(interval):
		}
	}
}

// IsAuthError is true for a rejected user or password (SQLSTATE class 28).
func IsAuthError(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "28")
}

// Brief is err on one line. pgx puts each connection attempt on a line of its own (sslmode=prefer
// tries TLS, then plain TCP), usually failing the same way: a repeated line is dropped.
func Brief(err error) string {
	var parts []string
	seen := map[string]bool{}
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line != "" && !seen[line] {
			seen[line] = true
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}
