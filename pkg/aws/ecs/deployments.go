// Package ecs reads the ECS side of apps' services: how the deployment of
// each service of an app's stack stands, which a stack event says only
// once it is over.
package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	ecsapi "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the ECS client the deployments use.
type API interface {
	DescribeServices(ctx context.Context, in *ecsapi.DescribeServicesInput, opts ...func(*ecsapi.Options)) (*ecsapi.DescribeServicesOutput, error)
}

// StackAPI is the part of the CloudFormation client they use: the
// services an app's stack holds.
type StackAPI interface {
	DescribeStackResources(ctx context.Context, in *cloudformation.DescribeStackResourcesInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error)
}

// Deployments reads the deployments of one rack's apps' services.
type Deployments struct {
	ecs     API
	cfn     StackAPI
	rack    string
	cluster string
}

// New returns the deployments of the services of rack's apps, on its
// cluster.
func New(client API, stacks StackAPI, rack, cluster string) *Deployments {
	return &Deployments{ecs: client, cfn: stacks, rack: rack, cluster: cluster}
}

// describeLimit is how many services DescribeServices takes at once.
const describeLimit = 10

// AppDeployments tells how the newest deployment of each of app's
// services stands, by service name.
func (d *Deployments) AppDeployments(ctx context.Context, app string) ([]rack.Deployment, error) {
	stack := names.AppStack(d.rack, app)
	res, err := d.cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("services of app %s: %w", app, err)
	}
	var arns []string
	for _, r := range res.StackResources {
		if aws.ToString(r.ResourceType) == "AWS::ECS::Service" && aws.ToString(r.PhysicalResourceId) != "" &&
			r.ResourceStatus != cftypes.ResourceStatusDeleteComplete {
			arns = append(arns, aws.ToString(r.PhysicalResourceId))
		}
	}
	var out []rack.Deployment
	for batch := range slices.Chunk(arns, describeLimit) {
		svcs, err := d.ecs.DescribeServices(ctx, &ecsapi.DescribeServicesInput{Cluster: aws.String(d.cluster), Services: batch})
		if err != nil {
			return nil, fmt.Errorf("services of app %s: %w", app, err)
		}
		for _, s := range svcs.Services {
			if len(s.Deployments) == 0 {
				continue
			}
			// The newest deployment is the one under way, or the last.
			newest := slices.MaxFunc(s.Deployments, func(a, b ecstypes.Deployment) int {
				return aws.ToTime(a.CreatedAt).Compare(aws.ToTime(b.CreatedAt))
			})
			out = append(out, rack.Deployment{
				Service: serviceName(d.rack, app, aws.ToString(newest.TaskDefinition), aws.ToString(s.ServiceName)),
				State:   string(newest.RolloutState),
				Reason:  aws.ToString(newest.RolloutStateReason),
				Desired: int(newest.DesiredCount),
				Running: int(newest.RunningCount),
				Pending: int(newest.PendingCount),
				Failed:  int(newest.FailedTasks),
				Updated: aws.ToTime(newest.UpdatedAt),
			})
		}
	}
	slices.SortFunc(out, func(a, b rack.Deployment) int { return strings.Compare(a.Service, b.Service) })
	return out, nil
}

// serviceName is the manifest's name of the service whose task definition
// is taskDefinition: its family is names.TaskFamily's. ECS's own name
// when the family is not the rack's.
func serviceName(rack, app, taskDefinition, fallback string) string {
	family := taskDefinition[strings.LastIndex(taskDefinition, "/")+1:]
	family, _, _ = strings.Cut(family, ":")
	if name, ok := strings.CutPrefix(family, names.TaskFamily(rack, app, "")); ok && name != "" {
		return name
	}
	return fallback
}
