// Package ecs reads the ECS side of apps' services: how the deployment of
// each service of an app's stack stands, which a stack event says only
// once it is over.
package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	ecsapi "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the ECS client the deployments use.
type API interface {
	DescribeServices(ctx context.Context, in *ecsapi.DescribeServicesInput, opts ...func(*ecsapi.Options)) (*ecsapi.DescribeServicesOutput, error)
	UpdateService(ctx context.Context, in *ecsapi.UpdateServiceInput, opts ...func(*ecsapi.Options)) (*ecsapi.UpdateServiceOutput, error)
}

// StackAPI is the part of the CloudFormation client they use: the
// services an app's stack holds.
type StackAPI interface {
	DescribeStackResources(ctx context.Context, in *cloudformation.DescribeStackResourcesInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error)
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
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

// serviceARNs are the ECS services app's stack holds.
func (d *Deployments) serviceARNs(ctx context.Context, app string) ([]string, error) {
	res, err := d.cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(names.AppStack(d.rack, app))})
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
	return arns, nil
}

// describeLimit is how many services DescribeServices takes at once.
const describeLimit = 10

// AppDeployments tells how the newest deployment of each of app's
// services stands, by service name.
func (d *Deployments) AppDeployments(ctx context.Context, app string) ([]rack.Deployment, error) {
	arns, err := d.serviceARNs(ctx, app)
	if err != nil {
		return nil, err
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

// outputs reads the outputs of app's stack.
func (d *Deployments) outputs(ctx context.Context, app string) (map[string]string, error) {
	out, err := d.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(names.AppStack(d.rack, app))})
	if err != nil {
		return nil, fmt.Errorf("stack of app %s: %w", app, err)
	}
	outputs := map[string]string{}
	if len(out.Stacks) > 0 {
		for _, o := range out.Stacks[0].Outputs {
			outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
	}
	return outputs, nil
}

// ServiceHosts are the host names each of app's services answers on, as
// its stack says (appstack.OutputHosts); a service with no port has none.
func (d *Deployments) ServiceHosts(ctx context.Context, app string, services []string) (map[string][]string, error) {
	outputs, err := d.outputs(ctx, app)
	if err != nil {
		return nil, err
	}
	hosts := map[string][]string{}
	for _, s := range services {
		if v := outputs[appstack.OutputHosts(s)]; v != "" {
			hosts[s] = strings.Split(v, ",")
		}
	}
	return hosts, nil
}

// service is the ARN of app's ECS service, as its stack says
// (appstack.OutputService); ENOTFOUND when the stack has none of that
// name.
func (d *Deployments) service(ctx context.Context, app, service string) (string, error) {
	outputs, err := d.outputs(ctx, app)
	if err != nil {
		return "", err
	}
	arn := outputs[appstack.OutputService(service)]
	if arn == "" {
		return "", rack.Errorf(rack.ENOTFOUND, "service not found: %s (app %s has not deployed it)", service, app)
	}
	return arn, nil
}

// SetCount sets the desired count of app's service in ECS: it takes
// effect in seconds, with no stack update.
func (d *Deployments) SetCount(ctx context.Context, app, service string, count int) error {
	arn, err := d.service(ctx, app, service)
	if err != nil {
		return err
	}
	_, err = d.ecs.UpdateService(ctx, &ecsapi.UpdateServiceInput{Cluster: aws.String(d.cluster), Service: aws.String(arn), DesiredCount: aws.Int32(int32(count))})
	if err != nil {
		return fmt.Errorf("scale %s of app %s: %w", service, app, err)
	}
	return nil
}

// Restart replaces the tasks of app's service with new ones of the same
// task definition (a new ECS deployment).
func (d *Deployments) Restart(ctx context.Context, app, service string) error {
	arn, err := d.service(ctx, app, service)
	if err != nil {
		return err
	}
	_, err = d.ecs.UpdateService(ctx, &ecsapi.UpdateServiceInput{Cluster: aws.String(d.cluster), Service: aws.String(arn), ForceNewDeployment: true})
	if err != nil {
		return fmt.Errorf("restart %s of app %s: %w", service, app, err)
	}
	return nil
}

// LogEvents are the events ECS gave app's services from since on, oldest
// first, as Convox shows them among an app's logs: stream system/ecs.
func (d *Deployments) LogEvents(ctx context.Context, app string, since time.Time) ([]rack.LogEvent, error) {
	arns, err := d.serviceARNs(ctx, app)
	if err != nil {
		return nil, err
	}
	var evs []rack.LogEvent
	for batch := range slices.Chunk(arns, describeLimit) {
		svcs, err := d.ecs.DescribeServices(ctx, &ecsapi.DescribeServicesInput{Cluster: aws.String(d.cluster), Services: batch})
		if err != nil {
			return nil, fmt.Errorf("services of app %s: %w", app, err)
		}
		for _, s := range svcs.Services {
			for _, e := range s.Events {
				if at := aws.ToTime(e.CreatedAt); !at.Before(since) {
					evs = append(evs, rack.LogEvent{Time: at.UTC(), Stream: "system/ecs", Message: aws.ToString(e.Message), ID: aws.ToString(e.Id)})
				}
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b rack.LogEvent) int { return a.Time.Compare(b.Time) })
	return evs, nil
}
