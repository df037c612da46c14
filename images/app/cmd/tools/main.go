// Command tools holds the application's operational jobs:
//
//	tools refresh-staging-data --source=<env or backup URL> --target=<env> --anonymize-pii
//	tools probe [--timeout=2s] HOST:PORT|dns:NAME...
//	tools watch-http [--pause=50ms] [--timeout=2s] [--report=2s] [--duration=0] [--until-eof] URL...
//
// refresh-staging-data is staging's weekly CronJob (components/data-refresh.ts). It reads, besides the pod's
// TARGET_DATABASE_HOST and TARGET_DATABASE_PASSWORD, these keys of the Secret
// data-refresh-secrets (envFrom):
//
//	SOURCE_DATABASE_URL   required  postgres:// URL of the restored production backup to read
//	TARGET_DATABASE_USER  required  staging's database user (the app name, e.g. myapp)
//	TARGET_DATABASE_NAME  required  staging's database name (the app name, e.g. myapp)
//	TARGET_DATABASE_PORT  optional  default 5432
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"team-environments/images/app/internal/dbconn"
	"team-environments/images/app/internal/probe"
	"team-environments/images/app/internal/refresh"
	"team-environments/images/app/internal/watch"
)

// SecretName is the Secret the CronJob loads the source and target details from.
const SecretName = "data-refresh-secrets"

func main() {
	msg, err := run(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tools: %s\n", err)
		os.Exit(1)
	}
	fmt.Printf("tools: %s\n", msg)
}

const usage = "usage: tools refresh-staging-data --source=<source> --target=<environment> --anonymize-pii | tools probe [--timeout=2s] HOST:PORT|dns:NAME... | tools watch-http [--pause=50ms] [--timeout=2s] [--report=2s] [--duration=0] [--until-eof] URL..."

func run(args []string, getenv func(string) string, stderr io.Writer) (string, error) {
	if len(args) > 0 && args[0] == "probe" {
		return runProbe(args[1:], stderr)
	}
	if len(args) > 0 && args[0] == "watch-http" {
		return runWatch(args[1:], os.Stdout, stderr)
	}
	if len(args) == 0 || args[0] != "refresh-staging-data" {
		return "", fmt.Errorf("%s", usage)
	}
	fs := flag.NewFlagSet("refresh-staging-data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o refresh.Options
	fs.StringVar(&o.Source, "source", "", "where the data comes from (e.g. backup://production/latest)")
	fs.StringVar(&o.Target, "target", "", "the environment to refresh (e.g. staging)")
	fs.BoolVar(&o.AnonymizePII, "anonymize-pii", false, "replace personal data (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return "", fmt.Errorf("refresh-staging-data: %w", err)
	}
	if err := o.Validate(); err != nil {
		return "", fmt.Errorf("refresh-staging-data: %w", err)
	}
	source, target, err := connections(getenv)
	if err != nil {
		return "", fmt.Errorf("refresh-staging-data: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	src, err := dbconn.ConnectRetry(ctx, source, 60*time.Second, 2*time.Second)
	if err != nil {
		return "", fmt.Errorf("refresh-staging-data: source %s: %s", redact(source), dbconn.Brief(err))
	}
	defer src.Close(ctx)
	dst, err := dbconn.ConnectRetry(ctx, target.URL(), 60*time.Second, 2*time.Second)
	if err != nil {
		return "", fmt.Errorf("refresh-staging-data: target %s: %s", target, dbconn.Brief(err))
	}
	defer dst.Close(ctx)
	n, err := refresh.Copy(ctx, src, dst)
	if err != nil {
		return "", fmt.Errorf("refresh-staging-data: %s", dbconn.Brief(err))
	}
	return fmt.Sprintf("refresh-staging-data: copied %d customers from %s (%s) to %s (%s), email and name anonymised", n, o.Source, redact(source), o.Target, target), nil
}

func runProbe(args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 2*time.Second, "how long a connection or lookup may take")
	if err := fs.Parse(args); err != nil {
		return "", fmt.Errorf("probe: %w", err)
	}
	if err := checkDurations("probe", []durationFlag{{"timeout", *timeout, true}}); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", fmt.Errorf("probe: no target; %s", usage)
	}
	results, err := probe.Run(context.Background(), fs.Args(), *timeout)
	if err != nil {
		return "", fmt.Errorf("probe: %w", err)
	}
	lines := make([]string, len(results))
	for i, r := range results {
		lines[i] = r.String()
	}
	return "probe:\n" + strings.Join(lines, "\n"), nil
}

// durationFlag is a duration flag's name and value, and whether zero is refused too.
type durationFlag struct {
	name     string
	value    time.Duration
	positive bool
}

// checkDurations names the first flag whose value is out of range: negative, or zero where positive is needed.
func checkDurations(command string, flags []durationFlag) error {
	for _, d := range flags {
		if d.value < 0 || (d.positive && d.value == 0) {
			want := "a duration of zero or more"
			if d.positive {
				want = "a positive duration"
			}
			return fmt.Errorf("%s: --%s=%s: expected %s", command, d.name, d.value, want)
		}
	}
	return nil
}

func runWatch(args []string, stdout, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("watch-http", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := watch.Options{}
	fs.DurationVar(&o.Pause, "pause", 50*time.Millisecond, "pause between requests")
	fs.DurationVar(&o.Timeout, "timeout", 2*time.Second, "timeout of one request")
	fs.DurationVar(&o.Report, "report", 2*time.Second, "how often to print the counts")
	fs.DurationVar(&o.Duration, "duration", 0, "how long to run (0: until SIGTERM or SIGINT)")
	untilEOF := fs.Bool("until-eof", false, "stop when standard input closes")
	if err := fs.Parse(args); err != nil {
		return "", fmt.Errorf("watch-http: %w", err)
	}
	if err := checkDurations("watch-http", []durationFlag{{"report", o.Report, true}, {"timeout", o.Timeout, true}, {"pause", o.Pause, false}, {"duration", o.Duration, false}}); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", fmt.Errorf("watch-http: no URL; %s", usage)
	}
	o.URLs = fs.Args()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *untilEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	if failed := watch.Run(ctx, o, stdout); failed > 0 {
		return "", fmt.Errorf("watch-http: %d failed requests", failed)
	}
	return "watch-http: no failed request", nil
}

// connections reads the source URL and the target connection, naming every missing variable.
func connections(getenv func(string) string) (source string, target dbconn.Settings, err error) {
	var missing []string
	source = getenv("SOURCE_DATABASE_URL")
	if source == "" {
		missing = append(missing, "SOURCE_DATABASE_URL (from Secret "+SecretName+")")
	}
	for _, v := range []string{"TARGET_DATABASE_USER", "TARGET_DATABASE_NAME"} {
		if getenv(v) == "" {
			missing = append(missing, v+" (from Secret "+SecretName+")")
		}
	}
	if getenv("TARGET_DATABASE_HOST") == "" {
		missing = append(missing, "TARGET_DATABASE_HOST")
	}
	if len(missing) > 0 {
		return "", target, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	target, _, err = dbconn.FromEnv("TARGET_DATABASE_", getenv)
	return source, target, err
}

// redact drops the password of a connection URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable SOURCE_DATABASE_URL)"
	}
	return u.Redacted()
}
