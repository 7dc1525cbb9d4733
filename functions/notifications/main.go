// Command notifications is the Lambda function behind the rule that sends
// the rack's events: it delivers them to the rack's webhooks.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/notify"
)

func main() {
	log := slog.New(config.Logger(os.Getenv))
	hooks, err := notify.ParseWebhooks(os.Getenv(config.EnvWebhooks))
	if err != nil {
		log.Error("notifications", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(notify.New(hooks, nil, log).Handle)
}
