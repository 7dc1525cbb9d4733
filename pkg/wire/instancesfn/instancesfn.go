// Package instancesfn wires the instances function: the lifecycle actions
// and states of the rack's instances, announced as rack events.
package instancesfn

import (
	"context"
	"log/slog"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	ec2api "github.com/aws/aws-sdk-go-v2/service/ec2"
	ebapi "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/rackhq/rack/pkg/aws/ec2"
	"github.com/rackhq/rack/pkg/aws/eventbridge"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/trigger/instances"
	"github.com/rackhq/rack/pkg/wire"
)

// Handler is what the rules invoke.
type Handler = func(context.Context, awsevents.CloudWatchEvent) error

// Function is the instances function.
var Function = wire.Function[Handler]{
	Name:     "instances",
	Required: []string{names.EnvRack, names.EnvEventBus, names.EnvCluster, names.EnvInstancesGroup},
	Build: func(env wire.Env, cfg aws.Config, log *slog.Logger) (Handler, error) {
		publisher := eventbridge.New(ebapi.NewFromConfig(cfg), env.EventBus)
		members := ec2.New(ec2api.NewFromConfig(cfg), env.InstancesGroup)
		return instances.New(env.Rack, env.InstancesGroup, env.Cluster, members, publisher, log).Handle, nil
	},
}
