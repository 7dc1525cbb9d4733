// Package buildsfn wires the builds function: the state changes of the
// rack's CodeBuild project, and the reconcile sweep, move its builds
// forward; a complete build makes its release, and old builds go.
package buildsfn

import (
	"context"
	"log/slog"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cbapi "github.com/aws/aws-sdk-go-v2/service/codebuild"
	ecrapi "github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/rackhq/rack/pkg/aws/codebuild"
	"github.com/rackhq/rack/pkg/aws/ecr"

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
		c, store := core.New(env, cfg, log), core.Store(env, cfg)
		uses := service.NewBuilds(c, store, service.BuildPorts{
			Builder: codebuild.New(cbapi.NewFromConfig(cfg), env.Builder, env.BuildLogs),
			Images:  ecr.New(ecrapi.NewFromConfig(cfg), env.Rack),
			// Releases only copies sealed environments here: it opens none.
			Releaser:  service.NewReleases(c, store, nil),
			Retention: env.BuildRetention,
		})
		return builds.New(env.Rack, env.Builder, uses, log).Handle, nil
	},
}
