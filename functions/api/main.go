// Command api is the rack API's Lambda function. With RACK_API_LISTEN set
// (host:port) it serves the same API as a local HTTP server instead, and
// with RACK_PASSWORD set it first prepares what a local API needs.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rackhq/rack/pkg/apifn"
	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/wire"
)

func main() {
	handler := config.Logger(os.Getenv)
	log := slog.New(handler)
	ctx := context.Background()
	c, err := config.FromEnv(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		fail(log, err)
	}
	clients := wire.NewClients(awsCfg)
	server := apifn.New(c, awsCfg.Region, clients, handler)
	addr := os.Getenv("RACK_API_LISTEN")
	if addr == "" {
		lambda.Start(apifn.Lambda(server))
		return
	}
	if pw := os.Getenv("RACK_PASSWORD"); pw != "" {
		if _, err := apifn.Prepare(ctx, c, clients, pw); err != nil {
			fail(log, err)
		}
	}
	log.Info("local API listening", "addr", addr, "rack", c.Rack)
	fail(log, http.ListenAndServe(addr, server))
}

func fail(log *slog.Logger, err error) {
	log.Error("api", "error", err.Error())
	os.Exit(1)
}
