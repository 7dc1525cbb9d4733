// Package buildsfn wires the builds function: the state changes of the
// rack's CodeBuild project move its builds forward.
package buildsfn

import (
	"context"
	"log/slog"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/trigger/builds"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/core"
)

// Handler is what the rule invokes.
type Handler = func(context.Context, awsevents.CloudWatchEvent) error

// Function is the builds function.
var Function = wire.Function[Handler]{
	Name:     "builds",
	Required: []string{names.EnvRack, names.EnvTable, names.EnvBuilder},
	Build: func(env wire.Env, cfg aws.Config, log *slog.Logger) (Handler, error) {
		uses := service.NewBuilds(core.New(env, cfg, log), core.Store(env, cfg))
		return builds.New(env.Rack, env.Builder, uses, log).Handle, nil
	},
}
