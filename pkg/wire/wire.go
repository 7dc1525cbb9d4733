// Package wire builds the rack's use cases over its AWS resources, once per
// process: the wiring every function shares.
package wire

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	kmsapi "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/rackhq/rack/pkg/bus"
	"github.com/rackhq/rack/pkg/cfn"
	"github.com/rackhq/rack/pkg/config"
	"github.com/rackhq/rack/pkg/dynamo"
	"github.com/rackhq/rack/pkg/kms"
	"github.com/rackhq/rack/pkg/service"
)

// Clients are the AWS clients of a function, built once per process.
type Clients struct {
	DynamoDB       *dynamodb.Client
	CloudFormation *cloudformation.Client
	KMS            *kmsapi.Client
	SSM            *ssm.Client
	EventBridge    *eventbridge.Client
}

// NewClients builds the clients from one SDK configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		DynamoDB:       dynamodb.NewFromConfig(cfg),
		CloudFormation: cloudformation.NewFromConfig(cfg),
		KMS:            kmsapi.NewFromConfig(cfg),
		SSM:            ssm.NewFromConfig(cfg),
		EventBridge:    eventbridge.NewFromConfig(cfg),
	}
}

// Service returns the rack's use cases over its resources.
func Service(c config.Config, region string, clients Clients, log *slog.Logger) *service.Service {
	var publisher service.Publisher
	if c.EventBus != "" {
		publisher = bus.New(clients.EventBridge, c.EventBus)
	}
	return service.New(service.Config{
		Events: publisher,
		Store:  dynamo.New(clients.DynamoDB, c.Table, nil),
		Stacks: cfn.New(clients.CloudFormation, c.Rack),
		Sealer: kms.New(clients.KMS, c.Key),
		System: c.System(region),
		Log:    log,
	})
}
