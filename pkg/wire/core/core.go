// Package core wires what the functions that run use cases share (api,
// builds, releases): the rack's store and the use cases' Core, whose
// events go to the rack's bus when it has one.
package core

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ebapi "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/aws/eventbridge"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/wire"
)

// Store is the rack's table.
func Store(env wire.Env, cfg aws.Config) *dynamo.Store {
	return dynamo.New(dynamodb.NewFromConfig(cfg), env.Table, nil)
}

// New returns the use cases' Core of the rack.
func New(env wire.Env, cfg aws.Config, log *slog.Logger) *service.Core {
	c := service.CoreConfig{Rack: env.Rack, Log: log}
	if env.EventBus != "" {
		c.Events = eventbridge.New(ebapi.NewFromConfig(cfg), env.EventBus)
	}
	return service.NewCore(c)
}
