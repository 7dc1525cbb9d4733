// Package deploy wires promotions, which the api function starts and the
// releases function carries on: app stack updates, environment values and
// the rack's router. Only those two functions link it, and with it the
// CloudFormation, S3 and SSM clients.
package deploy

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	ecsapi "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/aws/cfn"
	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/aws/ecs"
	"github.com/rackhq/rack/pkg/aws/params"
	"github.com/rackhq/rack/pkg/aws/sources"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/wire"
)

// Promotions are the rack's promotions: app stack updates (templates too
// large to send go through the rack's bucket), environment values in SSM,
// and the rack's layout with its router.
func Promotions(env wire.Env, cfg aws.Config, uses *service.Core, store *dynamo.Store, sealer service.Sealer) *service.Promotions {
	stacks := cloudformation.NewFromConfig(cfg)
	// The bucket takes path-style addresses where the endpoint is not
	// AWS's: a custom endpoint has no bucket host names.
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
	layout := appstack.Rack{
		Name: env.Rack, Cluster: env.Cluster, VPC: env.VPC, Subnets: env.Subnets,
		CapacityProvider: env.CapacityProvider, Fargate: env.Fargate, Domain: env.AppDomain,
	}
	return service.NewPromotions(uses, store, sealer, service.PromotePorts{
		Stacks:      cfn.NewUpdates(stacks, env.Rack, sources.New(objects, env.Bucket), env.AppStackRole),
		Env:         Env(env, cfg),
		Layout:      cfn.NewLayout(stacks, layout, env.Certificate, env.AppStackRole),
		Deployments: Running(env, cfg),
	})
}

// Running is ECS's side of the rack's apps' services.
func Running(env wire.Env, cfg aws.Config) *ecs.Deployments {
	return ecs.New(ecsapi.NewFromConfig(cfg), cloudformation.NewFromConfig(cfg), env.Rack, env.Cluster)
}

// Env is where the rack keeps its apps' environment values.
func Env(env wire.Env, cfg aws.Config) *params.Values {
	return params.New(ssm.NewFromConfig(cfg), env.Rack)
}

// Tasks are ECS's side of the rack's apps' processes; one-off runs are
// placed as the rack's services are.
func Tasks(env wire.Env, cfg aws.Config) *ecs.Processes {
	return ecs.NewProcesses(ecsapi.NewFromConfig(cfg), env.Rack, env.Cluster, ecs.Placement{
		Fargate: env.Fargate, CapacityProvider: env.CapacityProvider, Subnets: env.Subnets,
	})
}
