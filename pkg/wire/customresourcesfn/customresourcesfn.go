// Package customresourcesfn wires the customresources function: the custom resources
// of the rack stack and the app stacks.
package customresourcesfn

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	kmsapi "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/trigger/customresource"
	"github.com/rackhq/rack/pkg/trigger/customresource/migrate"
	"github.com/rackhq/rack/pkg/wire"
)

// Handler is what CloudFormation invokes.
type Handler = func(context.Context, json.RawMessage) error

// Function is the customresources function. One that cannot be built still
// answers every request, FAILED: no stack may wait an hour on it.
var Function = wire.Function[Handler]{
	Name:     "customresources",
	Required: []string{names.EnvTable, names.EnvKey},
	Build: func(env wire.Env, cfg aws.Config, log *slog.Logger) (Handler, error) {
		store := dynamo.New(dynamodb.NewFromConfig(cfg), env.Table, nil)
		sealer := kms.New(kmsapi.NewFromConfig(cfg), env.Key)
		resources := customresource.RackResources(customresource.Deps{
			S3:         s3.NewFromConfig(cfg),
			Hashes:     auth.NewSettingHashes(store, sealer),
			Store:      store,
			Migrations: migrate.All,
			Log:        log,
		})
		return customresource.New(customresource.Config{Resources: resources, Answers: store, Sealer: sealer, Log: log}).Handle, nil
	},
	Broken: func(err error, log *slog.Logger) Handler {
		return customresource.Failing(err, log).Handle
	},
}
