// Command instances is the Lambda function behind the rules that send the
// Auto Scaling lifecycle actions of the rack's instances and the state
// changes of its cluster's container instances: it announces them as rack
// events.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/rackhq/rack/pkg/bus"
	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/ec2group"
	"github.com/rackhq/rack/pkg/instanceevents"
)

func main() {
	log := slog.New(config.Logger(os.Getenv))
	c, err := config.FromEnv(os.Getenv)
	if err == nil {
		err = c.Require(config.EnvEventBus, config.EnvCluster, config.EnvInstancesGroup)
	}
	if err != nil {
		log.Error("instances", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := config.AWS(context.Background())
	if err != nil {
		log.Error("instances", "error", err.Error())
		os.Exit(1)
	}
	publisher := bus.New(eventbridge.NewFromConfig(awsCfg), c.EventBus)
	members := ec2group.New(ec2.NewFromConfig(awsCfg), c.InstancesGroup)
	lambda.Start(instanceevents.New(c.Rack, c.InstancesGroup, c.Cluster, members, publisher, log).Handle)
}
