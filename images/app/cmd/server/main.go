// Command server is every service of the application (SERVICE picks its probe paths): HTTP on
// :$PORT, ready when its database holds this image's migrations (if it has a database), graceful
// on SIGTERM.
//
// Env: SERVICE, APP_VERSION, PORT (default 8080) from the image; DATABASE_HOST, _PORT, _USER,
// _PASSWORD, _NAME from the pod (components/app-service.ts); SHUTDOWN_DELAY (Go duration,
// default 3s): how long to keep serving after SIGTERM while endpoints drop the pod.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"team-environments/images/app/internal/dbconn"
	"team-environments/images/app/internal/migrate"
	"team-environments/images/app/internal/server"
)

const (
	readinessInterval = 2 * time.Second
	readinessTimeout  = 2 * time.Second
	// Kubernetes kills the pod 30 s after SIGTERM (terminationGracePeriodSeconds); stop well before.
	shutdownTimeout = 10 * time.Second
)

func main() {
	logger := log.New(os.Stdout, "", log.LstdFlags|log.LUTC)
	if err := run(logger); err != nil {
		logger.Printf("server: %s", err)
		os.Exit(1)
	}
}

func run(logger *log.Logger) error {
	service, version := os.Getenv("SERVICE"), os.Getenv("APP_VERSION")
	port := envOr("PORT", "8080")
	delay, err := time.ParseDuration(envOr("SHUTDOWN_DELAY", "3s"))
	if err != nil {
		return fmt.Errorf("SHUTDOWN_DELAY: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var readiness server.Readiness = server.AlwaysReady{}
	database := "no database"
	db, hasDB, err := dbconn.FromEnv("DATABASE_", os.Getenv)
	if err != nil {
		return err
	}
	if hasDB {
		pool, err := newPool(db)
		if err != nil {
			return fmt.Errorf("database %s: %w", db, err)
		}
		defer pool.Close()
		watched := server.NewWatched(func(ctx context.Context) error {
			err := migrate.Check(ctx, pool, version)
			var notMigrated migrate.ErrNotMigrated
			if err != nil && !errors.As(err, &notMigrated) {
				return fmt.Errorf("database %s: %s", db, dbconn.Brief(err))
			}
			return err
		}, readinessInterval, readinessTimeout, func(f string, a ...any) { logger.Printf("server: "+f, a...) })
		go watched.Run(ctx)
		readiness = watched
		database = "database " + db.String()
	}
	srv, err := server.New(service, version, readiness)
	if err != nil {
		return err
	}

	listener, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	r := srv.Routes()
	logger.Printf("server: %s %s listening on :%s (readiness %s, liveness %s, %s)", service, version, port, r.Readiness, r.Liveness, database)
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Fail readiness first and keep serving for a moment, so the endpoints controller and the
	// proxies drop this pod before it stops accepting; then finish what is in flight.
	srv.Drain()
	httpServer.SetKeepAlivesEnabled(false)
	logger.Printf("server: terminating: not ready, serving in-flight and new requests for %s, then stopping", delay)
	time.Sleep(delay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Printf("server: stopped")
	return nil
}

// newPool is a small lazy pool: it connects on first use, so the server starts without its database.
func newPool(db dbconn.Settings) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(db.URL())
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.ConnectTimeout = readinessTimeout
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
