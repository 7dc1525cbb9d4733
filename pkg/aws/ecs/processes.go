package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecsapi "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// TaskAPI is the part of the ECS client processes use.
type TaskAPI interface {
	ListTasks(ctx context.Context, in *ecsapi.ListTasksInput, opts ...func(*ecsapi.Options)) (*ecsapi.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecsapi.DescribeTasksInput, opts ...func(*ecsapi.Options)) (*ecsapi.DescribeTasksOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecsapi.DescribeTaskDefinitionInput, opts ...func(*ecsapi.Options)) (*ecsapi.DescribeTaskDefinitionOutput, error)
	StopTask(ctx context.Context, in *ecsapi.StopTaskInput, opts ...func(*ecsapi.Options)) (*ecsapi.StopTaskOutput, error)
	RunTask(ctx context.Context, in *ecsapi.RunTaskInput, opts ...func(*ecsapi.Options)) (*ecsapi.RunTaskOutput, error)
}

// Processes are the ECS tasks of one rack's apps: their services' and
// one-off runs', all of a service's task definition family.
type Processes struct {
	ecs       TaskAPI
	rack      string
	cluster   string
	placement Placement
}

// NewProcesses returns the processes of rack's apps, on its cluster,
// where one-off runs are placed as placement says.
func NewProcesses(client TaskAPI, rack, cluster string, placement Placement) *Processes {
	return &Processes{ecs: client, rack: rack, cluster: cluster, placement: placement}
}

// describeTasksLimit is how many tasks DescribeTasks takes at once.
const describeTasksLimit = 100

// Processes lists the tasks of app's services, those running and those
// starting, by service and then start.
func (p *Processes) Processes(ctx context.Context, app string, services []string) ([]rack.Process, error) {
	var arns []string
	for _, s := range services {
		in := &ecsapi.ListTasksInput{Cluster: aws.String(p.cluster), Family: aws.String(names.TaskFamily(p.rack, app, s))}
		for {
			out, err := p.ecs.ListTasks(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("processes of app %s: %w", app, err)
			}
			arns = append(arns, out.TaskArns...)
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return p.describe(ctx, app, arns)
}

// Process reads one of app's tasks; ENOTFOUND when there is none of that
// id, or it is not app's.
func (p *Processes) Process(ctx context.Context, app, id string) (rack.Process, error) {
	ps, err := p.describe(ctx, app, []string{id})
	if err != nil {
		return rack.Process{}, err
	}
	if len(ps) == 0 {
		return rack.Process{}, rack.Errorf(rack.ENOTFOUND, "process not found: %s", id)
	}
	return ps[0], nil
}

// StopProcess stops one of app's tasks.
func (p *Processes) StopProcess(ctx context.Context, app, id string) error {
	if _, err := p.Process(ctx, app, id); err != nil {
		return err
	}
	_, err := p.ecs.StopTask(ctx, &ecsapi.StopTaskInput{Cluster: aws.String(p.cluster), Task: aws.String(id), Reason: aws.String("convox ps stop")})
	if err != nil {
		return fmt.Errorf("stop process %s of app %s: %w", id, app, err)
	}
	return nil
}

// describe reads tasks, keeps app's, and makes them processes.
func (p *Processes) describe(ctx context.Context, app string, arns []string) ([]rack.Process, error) {
	prefix := names.TaskFamily(p.rack, app, "")
	releases := map[string]taskDefinition{} // by task definition ARN
	var out []rack.Process
	for batch := range slices.Chunk(arns, describeTasksLimit) {
		res, err := p.ecs.DescribeTasks(ctx, &ecsapi.DescribeTasksInput{Cluster: aws.String(p.cluster), Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("processes of app %s: %w", app, err)
		}
		for _, t := range res.Tasks {
			family := familyOf(aws.ToString(t.TaskDefinitionArn))
			service, ok := strings.CutPrefix(family, prefix)
			if !ok || service == "" {
				continue // not app's
			}
			td, ok := releases[aws.ToString(t.TaskDefinitionArn)]
			if !ok {
				if td, err = p.taskDefinition(ctx, aws.ToString(t.TaskDefinitionArn)); err != nil {
					return nil, err
				}
				releases[aws.ToString(t.TaskDefinitionArn)] = td
			}
			out = append(out, process(app, service, t, td))
		}
	}
	slices.SortFunc(out, func(a, b rack.Process) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Started.Compare(b.Started)
	})
	return out, nil
}

// taskDefinition is what a process takes from its task definition.
type taskDefinition struct {
	release, command, image string
}

func (p *Processes) taskDefinition(ctx context.Context, arn string) (taskDefinition, error) {
	out, err := p.ecs.DescribeTaskDefinition(ctx, &ecsapi.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return taskDefinition{}, fmt.Errorf("task definition %s: %w", arn, err)
	}
	var td taskDefinition
	if out.TaskDefinition == nil || len(out.TaskDefinition.ContainerDefinitions) == 0 {
		return td, nil
	}
	c := out.TaskDefinition.ContainerDefinitions[0]
	td.command, td.image = strings.Join(c.Command, " "), aws.ToString(c.Image)
	// The release is a plain variable of every container the rack
	// renders (and a label, which not every reader keeps).
	for _, kv := range c.Environment {
		if aws.ToString(kv.Name) == "RELEASE" {
			td.release = aws.ToString(kv.Value)
		}
	}
	if td.release == "" {
		td.release = c.DockerLabels["convox.release"]
	}
	return td, nil
}

// familyOf is the family of a task definition ARN
// (…:task-definition/<family>:<revision>).
func familyOf(arn string) string {
	family := arn[strings.LastIndex(arn, "/")+1:]
	family, _, _ = strings.Cut(family, ":")
	return family
}

// process is a task as Convox shows a process.
func process(app, service string, t ecstypes.Task, td taskDefinition) rack.Process {
	arn := aws.ToString(t.TaskArn)
	p := rack.Process{
		ID:      arn[strings.LastIndex(arn, "/")+1:],
		App:     app,
		Name:    service,
		Release: td.release,
		Status:  status(aws.ToString(t.LastStatus)),
		Command: td.command,
		Image:   td.image,
	}
	if t.Overrides != nil && len(t.Overrides.ContainerOverrides) > 0 && len(t.Overrides.ContainerOverrides[0].Command) > 0 {
		p.Command = strings.Join(t.Overrides.ContainerOverrides[0].Command, " ")
	}
	if ci := aws.ToString(t.ContainerInstanceArn); ci != "" {
		p.Instance = ci[strings.LastIndex(ci, "/")+1:]
	}
	if len(t.Containers) > 0 && t.Containers[0].ExitCode != nil {
		code := int(*t.Containers[0].ExitCode)
		p.ExitCode = &code
	}
	for _, c := range t.Containers {
		for _, n := range c.NetworkInterfaces {
			if ip := aws.ToString(n.PrivateIpv4Address); ip != "" {
				p.Host = ip
			}
		}
	}
	p.Started = aws.ToTime(t.StartedAt)
	if p.Started.IsZero() {
		p.Started = aws.ToTime(t.CreatedAt)
	}
	return p
}

// status is an ECS task's last status as Convox shows it.
func status(last string) rack.ProcessStatus {
	switch last {
	case "RUNNING":
		return rack.ProcessRunning
	case "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED", "DELETED":
		return rack.ProcessStopped
	}
	return rack.ProcessPending
}

// Placement is where the rack runs one-off processes: as its services run.
type Placement struct {
	Fargate          bool
	CapacityProvider string   // on EC2; "" for the EC2 launch type
	Subnets          []string // on Fargate, with a public IP (the rack has no NAT)
}

// StartedBy marks the tasks `convox run` starts.
const StartedBy = "convox-run"

// RunProcess starts a one-off task of app's service: the service's task
// definition as its active release made it (the family's newest
// revision), with command instead of the service's, in a shell. A task
// ECS cannot place is ECONFLICT, with ECS's reason.
func (p *Processes) RunProcess(ctx context.Context, app, service, command string) (rack.Process, error) {
	placement := p.placement
	family := names.TaskFamily(p.rack, app, service)
	in := &ecsapi.RunTaskInput{
		Cluster:        aws.String(p.cluster),
		TaskDefinition: aws.String(family),
		Count:          aws.Int32(1),
		StartedBy:      aws.String(StartedBy),
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
			Name: aws.String(service), Command: []string{"sh", "-c", command},
		}}},
	}
	switch {
	case placement.Fargate:
		in.LaunchType = ecstypes.LaunchTypeFargate
		in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: placement.Subnets, AssignPublicIp: ecstypes.AssignPublicIpEnabled,
		}}
	case placement.CapacityProvider != "":
		in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(placement.CapacityProvider), Weight: 1}}
	default:
		in.LaunchType = ecstypes.LaunchTypeEc2
	}
	out, err := p.ecs.RunTask(ctx, in)
	if err != nil {
		return rack.Process{}, fmt.Errorf("run %s of app %s: %w", service, app, err)
	}
	if len(out.Tasks) == 0 {
		reason := "no reason given"
		if len(out.Failures) > 0 {
			reason = aws.ToString(out.Failures[0].Reason)
		}
		return rack.Process{}, rack.Errorf(rack.ECONFLICT, "the process of %s could not be placed: %s", service, reason)
	}
	td, err := p.taskDefinition(ctx, aws.ToString(out.Tasks[0].TaskDefinitionArn))
	if err != nil {
		return rack.Process{}, err
	}
	return process(app, service, out.Tasks[0], td), nil
}
