// Package apifn is the api function: the HTTP API wired to the rack's AWS
// resources, served through API Gateway's Lambda adapter or, for the local
// rack environment, by a plain HTTP listener. Both serve the same handler.
package apifn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/wire"
)

// New wires the API over the rack's resources, logging JSON to log (nil:
// nowhere) with request ids on every record.
func New(c config.Config, region string, clients wire.Clients, log slog.Handler) *api.Server {
	if log == nil {
		log = slog.DiscardHandler
	}
	logger := api.Logger(log)
	return api.New(api.Config{
		Service: wire.Service(c, region, clients, logger),
		Auth:    auth.NewVerifier(auth.NewSSMHashes(clients.SSM, c.PasswordParameter)),
		Log:     logger,
		Version: c.Version,
	})
}

// Lambda adapts the API to API Gateway HTTP API (payload format 2.0)
// events, for lambda.Start.
func Lambda(s *api.Server) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(s).ProxyWithContext
}
