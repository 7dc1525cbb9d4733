// Command formation is the Lambda function that answers the custom
// resources (Custom::EmptyBucket, Custom::RackPassword, ...) of the rack
// stack and the app stacks.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/dynamo"
	"github.com/rackhq/rack/pkg/formation"
	"github.com/rackhq/rack/pkg/formation/migrate"
	"github.com/rackhq/rack/pkg/kms"
	"github.com/rackhq/rack/pkg/wire"
)

func main() {
	log := slog.New(config.Logger(os.Getenv))
	c, err := config.FromEnv(os.Getenv)
	var awsCfg aws.Config
	if err == nil {
		awsCfg, err = config.AWS(context.Background())
	}
	if err != nil {
		// Answer every request anyway, FAILED: no stack may wait an hour.
		log.Error("formation", "error", err.Error())
		lambda.Start(formation.Failing(err, log).Handle)
		return
	}
	clients := wire.NewClients(awsCfg)
	store := dynamo.New(clients.DynamoDB, c.Table, nil)
	resources := formation.RackResources(formation.Deps{S3: s3.NewFromConfig(awsCfg), ECR: ecr.NewFromConfig(awsCfg),
		SSM: clients.SSM, Store: store, Migrations: migrate.All, Log: log})
	h := formation.New(formation.Config{Resources: resources, Answers: store, Sealer: kms.New(clients.KMS, c.Key), Log: log})
	lambda.Start(h.Handle)
}
