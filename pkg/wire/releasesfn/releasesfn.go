// Package releasesfn wires the releases function: the status events of
// the rack's app stacks, and the reconcile sweep, keep apps and their
// promotions current.
package releasesfn

import (
	"context"
	"log/slog"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	kmsapi "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/rackhq/rack/pkg/aws/cfn"
	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/trigger/stacks"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/core"
	"github.com/rackhq/rack/pkg/wire/deploy"
)

// Handler is what the rules invoke.
type Handler = func(context.Context, awsevents.CloudWatchEvent) error

// Function is the releases function.
var Function = wire.Function[Handler]{
	Name:     "releases",
	Required: []string{names.EnvRack, names.EnvTable, names.EnvKey},
	Build: func(env wire.Env, cfg aws.Config, log *slog.Logger) (Handler, error) {
		uses, store := core.New(env, cfg, log), core.Store(env, cfg)
		apps := service.NewApps(uses, store, cfn.New(cloudformation.NewFromConfig(cfg), env.Rack), service.RemovingEnv(deploy.Env(env, cfg)))
		promotions := deploy.Promotions(env, cfg, uses, store, kms.New(kmsapi.NewFromConfig(cfg), env.Key))
		return stacks.New(env.Rack, apps, promotions, log).Handle, nil
	},
}
