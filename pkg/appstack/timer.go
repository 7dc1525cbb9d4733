package appstack

import (
	"slices"
	"strings"

	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/names"
)

// timer adds timer t: a task definition of its service's image running
// its command, and an EventBridge Scheduler schedule that runs it on the
// rack's cluster. No function runs in between.
//
// Scheduler runs a task at every time its schedule names, whether the last
// one is still running or not: that is the timer concurrency Allow. Forbid
// and Replace would need something that looks at the running tasks first;
// they are rendered as Allow (docs/app-stack.md).
func (r *renderer) timer(t manifest.Timer) {
	o := r.o
	s, _ := r.m.Service(t.Service) // checked by the manifest
	role := timerTaskRole(t, s)
	if role == id(prefixTimerTaskRole, t.Name) {
		r.add(role, Resource{Type: "AWS::IAM::Role", Properties: iamRole{
			AssumeRolePolicyDocument: assumedBy("ecs-tasks.amazonaws.com"),
			ManagedPolicyArns:        slices.Clone(t.Policies),
		}})
	}
	c := r.container(s, t.Name, processTimer, []string{"sh", "-c", t.Command})
	td := id(prefixTimerTaskDefinition, t.Name)
	r.add(td, Resource{Type: "AWS::ECS::TaskDefinition", Properties: r.taskDefinition(
		s, names.TimerFamily(o.Rack.Name, o.App, t.Name), c, role)})

	var sg string
	if o.Rack.Fargate {
		sg = id(prefixSecurityGroup, s.Name) // its service's: it takes no traffic
	}
	cron, _ := cronExpression(t) // checked
	p := ecsParameters{TaskDefinitionArn: ref(td), TaskCount: 1}
	p.LaunchType, p.CapacityProviderStrategy, p.NetworkConfiguration = r.placement(sg)
	r.add(id(prefixSchedule, t.Name), Resource{Type: "AWS::Scheduler::Schedule", Properties: schedule{
		Description:        "Timer " + t.Name + " of app " + o.App + ": a task of service " + s.Name + ".",
		ScheduleExpression: "cron(" + cron + ")",
		FlexibleTimeWindow: flexibleTimeWindow{Mode: "OFF"},
		State:              "ENABLED",
		Target: scheduleTarget{
			Arn:           r.clusterARN(),
			RoleArn:       getAtt(idSchedulerRole, "Arn"),
			EcsParameters: p,
		},
	}})
}

// timerTaskRole is the role of timer t's tasks, t running a command of
// service s: its service's when its policies are its service's (as they
// are when it names none), else a role of its own; "" for no policies.
func timerTaskRole(t manifest.Timer, s manifest.Service) string {
	switch {
	case len(t.Policies) == 0:
		return ""
	case slices.Equal(t.Policies, s.Policies):
		return id(prefixTaskRole, s.Name)
	default:
		return id(prefixTimerTaskRole, t.Name)
	}
}

// schedulerRole adds the role the app's schedules run their tasks with:
// it may run the timers' task definitions on the rack's cluster and pass
// them their roles.
func (r *renderer) schedulerRole() {
	o := r.o
	var families []any
	pass := []any{getAtt(idExecutionRole, "Arn")}
	seen := map[string]bool{}
	for _, t := range r.m.Timers {
		families = append(families, arn("ecs", "task-definition/"+subLiteral(names.TimerFamily(o.Rack.Name, o.App, t.Name))+":*"))
		s, _ := r.m.Service(t.Service)
		if role := timerTaskRole(t, s); role != "" && !seen[role] {
			seen[role] = true
			pass = append(pass, getAtt(role, "Arn"))
		}
	}
	trust := policy(statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": "scheduler.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref(awsAccountID)}},
	})
	r.add(idSchedulerRole, Resource{Type: "AWS::IAM::Role", Properties: iamRole{
		AssumeRolePolicyDocument: trust,
		Policies: []iamPolicy{{PolicyName: "timers", PolicyDocument: policy(
			statement{
				Effect: "Allow", Action: []string{"ecs:RunTask"}, Resource: families,
				Condition: map[string]any{"ArnEquals": map[string]any{"ecs:cluster": r.clusterARN()}},
			},
			statement{
				Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: pass,
				Condition: map[string]any{"StringLike": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
			},
		)}},
	}})
}

// cronExpression is timer t's schedule as EventBridge takes it: six
// fields, one of day-of-month and day-of-week "?". A manifest may write
// "*" in both, as cron does: the day-of-week's becomes "?" (the
// day-of-month's when the day of the week is set). Both set is no
// schedule EventBridge can run; the message says why.
func cronExpression(t manifest.Timer) (string, string) {
	f := strings.Fields(t.Cron())
	if len(f) != 6 {
		return "", "a cron schedule has 5 or 6 fields"
	}
	dom, dow := &f[2], &f[4]
	switch {
	case *dom == "?" && *dow == "?":
		return "", "either the day of the month or the day of the week is ?, not both"
	case *dom == "?" || *dow == "?":
	case *dow == "*":
		*dow = "?"
	case *dom == "*":
		*dom = "?"
	default:
		return "", "EventBridge runs on a day of the month or on a day of the week, not both: write ? in one of them"
	}
	return strings.Join(f, " "), ""
}
