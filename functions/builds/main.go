// Command builds is the Lambda function behind the rule that sends the
// state changes of the rack's CodeBuild project: it moves builds forward.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rackhq/rack/pkg/buildevents"
	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/wire"
)

func main() {
	log := slog.New(config.Logger(os.Getenv))
	c, err := config.FromEnv(os.Getenv)
	if err == nil {
		err = c.Require(config.EnvBuilder)
	}
	if err != nil {
		log.Error("builds", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := config.AWS(context.Background())
	if err != nil {
		log.Error("builds", "error", err.Error())
		os.Exit(1)
	}
	svc := wire.Service(c, awsCfg.Region, wire.NewClients(awsCfg), log)
	lambda.Start(buildevents.New(c.Rack, c.Builder, svc, log).Handle)
}
