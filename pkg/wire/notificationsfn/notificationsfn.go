// Package notificationsfn wires the notifications function: the rack's
// events, posted to its webhooks. It calls no AWS API.
package notificationsfn

import (
	"context"
	"log/slog"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rackhq/rack/pkg/trigger/webhooks"
	"github.com/rackhq/rack/pkg/wire"
)

// Handler is what the rule invokes.
type Handler = func(context.Context, awsevents.CloudWatchEvent) error

// Function is the notifications function.
var Function = wire.Function[Handler]{
	Name: "notifications",
	Build: func(env wire.Env, _ aws.Config, log *slog.Logger) (Handler, error) {
		hooks, err := webhooks.ParseWebhooks(env.Webhooks)
		if err != nil {
			return nil, err
		}
		return webhooks.New(hooks, nil, log).Handle, nil
	},
}
