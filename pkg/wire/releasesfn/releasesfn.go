// Package releasesfn wires the releases function: the status events of
// the rack's app stacks, and the reconcile sweep, keep apps current.
package releasesfn

import (
	"context"
	"log/slog"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/rackhq/rack/pkg/aws/cfn"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/trigger/stacks"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/core"
)

// Handler is what the rules invoke.
type Handler = func(context.Context, awsevents.CloudWatchEvent) error

// Function is the releases function.
var Function = wire.Function[Handler]{
	Name:     "releases",
	Required: []string{names.EnvRack, names.EnvTable},
	Build: func(env wire.Env, cfg aws.Config, log *slog.Logger) (Handler, error) {
		apps := service.NewApps(core.New(env, cfg, log), core.Store(env, cfg), cfn.New(cloudformation.NewFromConfig(cfg), env.Rack))
		return stacks.New(env.Rack, apps, log).Handle, nil
	},
}
