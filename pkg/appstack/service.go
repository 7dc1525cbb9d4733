package appstack

import (
	"strings"

	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/names"
)

// service adds service s: its task definition, its ECS service, and what
// they need (a task role, a security group on Fargate, target groups and
// listener rules for a port, autoscaling).
func (r *renderer) service(s manifest.Service) {
	o := r.o
	c := r.container(s, s.Name, processService, s.Command)
	c.PortMappings = r.portMappings(s)
	td := id(prefixTaskDefinition, s.Name)
	r.add(td, Resource{Type: "AWS::ECS::TaskDefinition", Properties: r.taskDefinition(
		s, names.TaskFamily(o.Rack.Name, o.App, s.Name), c, r.taskRole(s))})

	var sg string
	if o.Rack.Fargate {
		sg = r.securityGroup(s)
	}
	svc := ecsService{
		Cluster:            o.Rack.Cluster,
		TaskDefinition:     ref(td),
		SchedulingStrategy: "REPLICA",
		DeploymentConfiguration: deploymentConfiguration{
			DeploymentCircuitBreaker: circuitBreaker{Enable: true, Rollback: true},
			MinimumHealthyPercent:    s.Deployment.Minimum,
			MaximumPercent:           s.Deployment.Maximum,
		},
		Tags: tags(s.Tags),
	}
	count := r.count(s)
	if s.Agent.Enabled {
		// A daemon runs one task on each instance; ECS takes no capacity
		// provider strategy for one. Checked: never on Fargate.
		svc.SchedulingStrategy, svc.LaunchType = "DAEMON", "EC2"
	} else {
		svc.DesiredCount = &count
		svc.LaunchType, svc.CapacityProviderStrategy, svc.NetworkConfiguration = r.placement(sg)
		if !o.Rack.Fargate {
			svc.PlacementStrategies = []placementStrategy{
				{Type: "spread", Field: "attribute:ecs.availability-zone"},
				{Type: "spread", Field: "instanceId"},
			}
		}
	}
	var rules []string
	if s.Port.Port > 0 {
		for _, b := range balancers(s) {
			tg := r.targetGroup(s, b)
			svc.LoadBalancers = append(svc.LoadBalancers, serviceLoadBalancer{
				ContainerName: s.Name, ContainerPort: s.Port.Port, TargetGroupArn: ref(tg),
			})
			rules = append(rules, r.rules(s, b, tg)...)
		}
		grace := s.Health.Grace
		svc.HealthCheckGracePeriodSeconds = &grace
		r.t.Outputs[OutputHosts(s.Name)] = Output{
			Description: "Host names service " + s.Name + " answers on.",
			Value:       strings.Join(r.hosts(s), ","),
		}
	}
	// ECS takes a target group only once a listener forwards to it: the
	// rules come first. (The emulator fails a stack that reads a target
	// group's LoadBalancerArns, the other way to say so.)
	svcID := id(prefixService, s.Name)
	r.add(svcID, Resource{Type: "AWS::ECS::Service", DependsOn: rules, Properties: svc})
	r.t.Outputs[OutputService(s.Name)] = Output{Description: "ARN of service " + s.Name + "'s ECS service.", Value: ref(svcID)}
	if s.Autoscale() {
		r.autoscale(s, svcID, count)
	}
}

// The kinds of process, as Convox labels their containers; each is also
// the prefix of its containers' log streams: <kind>/<name>/<task id>.
const (
	processService = "service"
	processTimer   = "timer"
)

// count is the desired count of service s: as scaled, else its minimum.
func (r *renderer) count(s manifest.Service) int {
	if n, ok := r.o.Counts[s.Name]; ok {
		return n
	}
	return s.Scale.Min
}

// portMappings are the ports of service s's container: its port, for the
// balancer (on EC2 on a port the host picks), and an agent's ports on the
// host's own.
func (r *renderer) portMappings(s manifest.Service) []portMapping {
	var out []portMapping
	if s.Port.Port > 0 {
		p := portMapping{ContainerPort: s.Port.Port, Protocol: "tcp"}
		if !r.o.Rack.Fargate {
			p.HostPort = new(int)
		}
		out = append(out, p)
	}
	for _, a := range s.Agent.Ports {
		out = append(out, portMapping{ContainerPort: a.Port, HostPort: &a.Port, Protocol: a.Protocol})
	}
	return out
}

// securityGroup adds the security group of service s's tasks on Fargate,
// in the rack's VPC, open on its port to the rack's balancers only.
func (r *renderer) securityGroup(s manifest.Service) string {
	sg := securityGroup{
		GroupDescription: "Tasks of service " + s.Name + " of app " + r.o.App,
		VpcId:            r.o.Rack.VPC,
		Tags:             []tag{{Key: "Name", Value: sub("${AWS::StackName}-" + s.Name)}},
	}
	if s.Port.Port > 0 {
		sg.SecurityGroupIngress = []ingress{{
			Description: "The rack's balancers", IpProtocol: "tcp", FromPort: s.Port.Port, ToPort: s.Port.Port,
			SourceSecurityGroupId: r.o.Rack.Router.SecurityGroup,
		}}
	}
	id := id(prefixSecurityGroup, s.Name)
	r.add(id, Resource{Type: "AWS::EC2::SecurityGroup", Properties: sg})
	return id
}
