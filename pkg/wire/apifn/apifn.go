// Package apifn wires the api function: the HTTP API over the rack's
// table (which keeps the password hash too), app stacks, its own stack,
// key and bus, served through API Gateway's Lambda adapter.
package apifn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cbapi "github.com/aws/aws-sdk-go-v2/service/codebuild"
	kmsapi "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/cfn"
	"github.com/rackhq/rack/pkg/aws/codebuild"
	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/aws/logs"
	"github.com/rackhq/rack/pkg/aws/sources"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/core"
	"github.com/rackhq/rack/pkg/wire/deploy"
)

// Handler is what API Gateway (HTTP API, payload format 2.0) invokes.
type Handler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Function is the api function.
var Function = wire.Function[Handler]{
	Name:     "api",
	Required: []string{names.EnvRack, names.EnvTable, names.EnvKey},
	Build: func(env wire.Env, cfg aws.Config, log *slog.Logger) (Handler, error) {
		return Lambda(NewServer(env, cfg, log.Handler())), nil
	},
}

// NewServer wires the API over the rack's resources, logging JSON to log
// (nil: nowhere) with request ids on every record. The local API serves the
// same server.
func NewServer(env wire.Env, cfg aws.Config, log slog.Handler) *api.Server {
	if log == nil {
		log = slog.DiscardHandler
	}
	logger := api.Logger(log)
	store, uses := core.Store(env, cfg), core.New(env, cfg, logger)
	sealer := kms.New(kmsapi.NewFromConfig(cfg), env.Key)
	stacks := cloudformation.NewFromConfig(cfg)
	own := cfn.NewRack(stacks, env.Rack)
	own.Role = env.StackRole
	releases := service.NewReleases(uses, store, sealer)
	promotions := deploy.Promotions(env, cfg, uses, store, sealer)
	services := service.NewServices(uses, promotions, releases, deploy.Running(env, cfg))
	appLogs := service.NewLogs(uses, store, logs.NewGroup(cloudwatchlogs.NewFromConfig(cfg)),
		cfn.NewUpdates(stacks, env.Rack, nil, ""), deploy.Running(env, cfg))
	appLogs.RackGroups = env.RackLogs
	// The bucket takes path-style addresses where the endpoint is not
	// AWS's: a custom endpoint has no bucket host names.
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
	return api.New(api.Config{
		Apps: service.NewApps(uses, store, cfn.New(stacks, env.Rack), service.RemovingEnv(deploy.Env(env, cfg))),
		Builds: service.NewBuilds(uses, store, service.BuildPorts{
			Sources:   sources.New(objects, env.Bucket),
			Builder:   codebuild.New(cbapi.NewFromConfig(cfg), env.Builder, env.BuildLogs),
			Logs:      logs.New(cloudwatchlogs.NewFromConfig(cfg)),
			Releaser:  releases,
			Registry:  env.Registry,
			Retention: env.BuildRetention,
		}),
		Releases:   releases,
		Promotions: promotions,
		Services:   services,
		Processes:  service.NewProcesses(uses, services, deploy.Tasks(env, cfg)),
		Logs:       appLogs,
		System:     service.NewStackSystem(env.System(cfg.Region), own),
		Auth:       auth.NewVerifier(auth.NewSettingHashes(store, sealer)),
		Log:        logger,
		Version:    env.Version,
	})
}

// Lambda adapts the API to API Gateway HTTP API (payload format 2.0)
// events.
func Lambda(s *api.Server) Handler {
	return httpadapter.NewV2(s).ProxyWithContext
}
