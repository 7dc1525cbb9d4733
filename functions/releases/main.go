// Command releases is the Lambda function behind the rule that sends the
// rack's CloudFormation stack status events: it keeps apps (and, as
// promotions arrive, releases) current with their stacks.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/stackevents"
	"github.com/rackhq/rack/pkg/wire"
)

func main() {
	log := slog.New(config.Logger(os.Getenv))
	c, err := config.FromEnv(os.Getenv)
	if err != nil {
		log.Error("releases", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := config.AWS(context.Background())
	if err != nil {
		log.Error("releases", "error", err.Error())
		os.Exit(1)
	}
	svc := wire.Service(c, awsCfg.Region, wire.NewClients(awsCfg), log)
	lambda.Start(stackevents.New(c.Rack, svc, log).Handle)
}
