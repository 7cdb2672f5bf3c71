// Command gmsad is the opengmsa host agent: it leases gMSA Kerberos
// identities to containers (internal/agent); this main only wires.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/opengmsa/gmsa/internal/agent"
	"github.com/opengmsa/gmsa/internal/config"
)

const usage = `usage: gmsad [--config FILE]

Examples:
  gmsad                                  # reads /etc/gmsa/gmsad.yaml
  gmsad --config ./gmsad.yaml
  curl --unix-socket /run/gmsad/gmsad.sock http://gmsad/v1/leases
`

func main() {
	path := flag.String("config", config.DefaultAgentFile, "configuration file (docs/agent.md)")
	flag.Usage = func() { fmt.Fprint(os.Stderr, usage); flag.PrintDefaults() }
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := config.LoadAgent(*path)
	if err == nil {
		var level slog.Level
		level.UnmarshalText([]byte(c.LogLevel))
		err = agent.RunDaemon(ctx, c, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gmsad:", err)
		os.Exit(1)
	}
}
