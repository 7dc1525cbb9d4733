// Package apifn is the api function: the HTTP API wired to the rack's AWS
// resources, served through API Gateway's Lambda adapter or, for the local
// rack environment, by a plain HTTP listener. Both serve the same handler.
package apifn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	kmsapi "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/rackhq/rack/pkg/api"
	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/cfn"
	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/dynamo"
	"github.com/rackhq/rack/pkg/kms"
	"github.com/rackhq/rack/pkg/service"
)

// Clients are the AWS clients the API uses, built once per process.
type Clients struct {
	DynamoDB       *dynamodb.Client
	CloudFormation *cloudformation.Client
	KMS            *kmsapi.Client
	SSM            *ssm.Client
}

// NewClients builds the clients from one SDK configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		DynamoDB:       dynamodb.NewFromConfig(cfg),
		CloudFormation: cloudformation.NewFromConfig(cfg),
		KMS:            kmsapi.NewFromConfig(cfg),
		SSM:            ssm.NewFromConfig(cfg),
	}
}

// New wires the API over the rack's resources, logging JSON to log (nil:
// nowhere) with request ids on every record.
func New(c config.Config, region string, clients Clients, log slog.Handler) *api.Server {
	if log == nil {
		log = slog.DiscardHandler
	}
	logger := api.Logger(log)
	svc := service.New(service.Config{
		Store:  dynamo.New(clients.DynamoDB, c.Table, nil),
		Stacks: cfn.New(clients.CloudFormation, c.Rack),
		Sealer: kms.New(clients.KMS, c.Key),
		System: c.System(region),
		Log:    logger,
	})
	return api.New(api.Config{
		Service: svc,
		Auth:    auth.NewVerifier(auth.NewSSMHashes(clients.SSM, c.PasswordParameter)),
		Log:     logger,
		Version: c.Version,
	})
}

// Lambda adapts the API to API Gateway HTTP API (payload format 2.0)
// events, for lambda.Start.
func Lambda(s *api.Server) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(s).ProxyWithContext
}
