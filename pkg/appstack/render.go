package appstack

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/names"
)

// Rack is what an app stack takes from its rack.
type Rack struct {
	Name string
	// Cluster is the ECS cluster's name. Not its ARN: the emulator builds
	// malformed service ARNs from one, and an ARN is made from the name
	// wherever one is needed.
	Cluster string
	VPC     string
	// Subnets are the rack's public subnets (the rack has no NAT): tasks
	// on Fargate get public IPs in them.
	Subnets []string
	// CapacityProvider is the cluster's EC2 capacity provider, that
	// services and timers run on when not on Fargate; "" runs them with
	// the EC2 launch type instead.
	CapacityProvider string
	// Fargate runs services and timers on Fargate: a rack with no
	// instances.
	Fargate bool
	// Domain makes each service with a port answer on
	// <service>.<app>.<Domain> (beside its own domains); "" for none.
	Domain string
	// Key is the KMS key the environment's SecureString parameters are
	// encrypted with; "" for SSM's own key, which needs no grant.
	Key string
	// Router is the rack's shared balancers; nil while the rack has none.
	Router *Router
}

// Router is the rack's shared balancers, made elsewhere: an app stack
// only adds target groups and listener rules to them.
type Router struct {
	// HTTP and HTTPS are the external balancer's listeners' ARNs; HTTPS is
	// "" when the rack has no certificate. When it has one, a service's
	// rules go on HTTPS only, and the HTTP listener is expected to redirect
	// to it (Convox's default).
	HTTP, HTTPS string
	// InternalHTTP and InternalHTTPS are the internal balancer's; "" when
	// there is none.
	InternalHTTP, InternalHTTPS string
	// SecurityGroup is the balancers' security group: on Fargate a service
	// takes its port's traffic from it.
	SecurityGroup string
	// Host is the external balancer's host name (the internal one's when
	// there is no external one): where an app's domains point. The
	// template does not use it.
	Host string
}

// Release is what of a release an app stack deploys.
type Release struct {
	ID, Build string
	// Env maps each variable of the app's environment to the ARN of the
	// SSM parameter ECS reads its value from (a task definition's
	// secrets): values never go into a template. "" stands for an empty
	// value, which SSM cannot hold; it goes as a plain environment entry.
	Env map[string]string
}

// Options are what an app stack is rendered from beside its manifest.
type Options struct {
	Rack    Rack
	App     string
	Release Release
	// Counts are the services' desired counts as `convox scale` set them;
	// a service not in it runs its manifest's minimum.
	Counts map[string]int
}

// NeedsRouter reports whether m has services with a port on the rack's
// external balancer, and on its internal one (internal: true).
func NeedsRouter(m manifest.Manifest) (external, internal bool) {
	for _, s := range m.Services {
		if s.Port.Port == 0 {
			continue
		}
		external = external || !s.Internal || s.InternalAndExternal
		internal = internal || s.Internal
	}
	return external, internal
}

// Render makes the template of app's stack for manifest m and the release
// in o. A manifest the rack cannot run (a port with no router, an agent on
// Fargate, resources, ...) is an error of code rack.EINVALID listing every
// reason; options the rack itself got wrong are an error of no code.
func Render(m manifest.Manifest, o Options) (*Template, error) {
	if err := checkOptions(o); err != nil {
		return nil, err
	}
	if err := check(m, o); err != nil {
		return nil, err
	}
	r := &renderer{m: m, o: o, t: base(o.Release.ID), priorities: map[string]map[int]bool{}}
	if len(m.Services) > 0 || len(m.Timers) > 0 {
		r.executionRole()
	}
	for _, s := range m.Services {
		r.service(s)
	}
	if len(m.Timers) > 0 {
		r.schedulerRole()
	}
	for _, t := range m.Timers {
		r.timer(t)
	}
	if n := len(r.t.Resources); n > maxResources {
		return nil, invalid([]string{fmt.Sprintf("the app's stack would hold %d resources, and CloudFormation takes %d", n, maxResources)})
	}
	return r.t, nil
}

// maxResources is the most resources CloudFormation takes in one stack.
const maxResources = 500

// renderer holds a template being rendered.
type renderer struct {
	m manifest.Manifest
	o Options
	t *Template
	// priorities are the listener rule priorities taken so far, by
	// listener ARN.
	priorities map[string]map[int]bool
}

// base is what every app stack holds, as the stack is created
// (templates/app.json): the repository and the log group, their
// parameters and outputs, and the release the stack runs.
func base(release string) *Template {
	return &Template{
		AWSTemplateFormatVersion: "2010-09-09",
		Description:              "A Convox app: its image repository, its log group, and its services and timers.",
		Parameters: map[string]Parameter{
			ParamRepositoryName: {Type: "String", Description: "Name of the app's ECR repository."},
			ParamLogGroupName:   {Type: "String", Description: "Name of the app's CloudWatch Logs log group."},
			paramLogRetention: {
				Type: "Number", Description: "Days to keep the app's logs.", Default: "7",
				AllowedValues: []string{
					"1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400",
					"545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653",
				},
			},
		},
		Resources: map[string]Resource{
			idRepository: {Type: "AWS::ECR::Repository", Properties: ecrRepository{
				RepositoryName: ref(ParamRepositoryName), EmptyOnDelete: true,
			}},
			idLogGroup: {Type: "AWS::Logs::LogGroup", Properties: logGroup{
				LogGroupName: ref(ParamLogGroupName), RetentionInDays: ref(paramLogRetention),
			}},
		},
		Outputs: map[string]Output{
			outputRepositoryName: {Description: "Name of the app's ECR repository.", Value: ref(idRepository)},
			outputRepositoryURI: {
				Description: "URI of the app's ECR repository, to tag and push images to.",
				Value:       getAtt(idRepository, "RepositoryUri"),
			},
			outputLogGroup: {Description: "Name of the app's CloudWatch Logs log group.", Value: ref(idLogGroup)},
			outputRelease:  {Description: "The release the stack runs.", Value: release},
		},
	}
}

// paramLogRetention is the template's parameter of the logs' retention,
// left at its default unless the rack sets it.
const paramLogRetention = "LogRetention"

// add puts a resource in the template.
func (r *renderer) add(id string, res Resource) {
	r.t.Resources[id] = res
}

// executionRole is the role ECS starts the app's tasks with: it pulls the
// app's images, writes to its log group and reads its environment.
func (r *renderer) executionRole() {
	o := r.o
	stmts := []statement{
		{Effect: "Allow", Action: []string{"ecr:GetAuthorizationToken"}, Resource: "*"},
		{
			Effect:   "Allow",
			Action:   []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
			Resource: getAtt(idRepository, "Arn"),
		},
		{Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: getAtt(idLogGroup, "Arn")},
		{
			Effect:   "Allow",
			Action:   []string{"ssm:GetParameters"},
			Resource: arn("ssm", "parameter"+subLiteral(names.EnvParameterPath(o.Rack.Name, o.App))+"*"),
		},
	}
	if o.Rack.Key != "" {
		stmts = append(stmts, statement{
			Effect: "Allow", Action: []string{"kms:Decrypt"}, Resource: o.Rack.Key,
			Condition: map[string]any{"StringEquals": map[string]any{"kms:ViaService": sub("ssm.${AWS::Region}.amazonaws.com")}},
		})
	}
	r.add(idExecutionRole, Resource{Type: "AWS::IAM::Role", Properties: iamRole{
		AssumeRolePolicyDocument: assumedBy("ecs-tasks.amazonaws.com"),
		Policies:                 []iamPolicy{{PolicyName: "tasks", PolicyDocument: policy(stmts...)}},
	}})
}

// assumedBy is the trust policy of a role that service assumes. The
// tasks' roles carry no aws:SourceAccount condition: ECS does not document
// one for execution roles.
func assumedBy(service string) policyDocument {
	return policy(statement{Effect: "Allow", Principal: map[string]any{"Service": service}, Action: []string{"sts:AssumeRole"}})
}

func policy(stmts ...statement) policyDocument {
	return policyDocument{Version: "2012-10-17", Statement: stmts}
}

// taskRole is the role of service's tasks: its policies. It is made when
// the service names policies, and is "" when not.
func (r *renderer) taskRole(s manifest.Service) string {
	if len(s.Policies) == 0 {
		return ""
	}
	id := id(prefixTaskRole, s.Name)
	r.add(id, Resource{Type: "AWS::IAM::Role", Properties: iamRole{
		AssumeRolePolicyDocument: assumedBy("ecs-tasks.amazonaws.com"),
		ManagedPolicyArns:        slices.Clone(s.Policies),
	}})
	return id
}

// env is the environment of a service's containers: each variable as
// manifest.ServiceEnv picks it, read from its SSM parameter when the
// release holds it there, else plain (a default of the manifest, or "");
// then the variables the rack sets, unless the app sets them itself.
func (r *renderer) env(s manifest.Service, rackVars []keyValue) ([]keyValue, []secret) {
	refs := r.o.Release.Env
	var plain []keyValue
	var secrets []secret
	vars := r.m.ServiceEnv(s.Name, refs)
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		if ref, ok := refs[name]; ok && ref != "" && ref == v {
			secrets = append(secrets, secret{Name: name, ValueFrom: ref})
			continue
		}
		plain = append(plain, keyValue{Name: name, Value: v})
	}
	for _, kv := range rackVars {
		if _, set := vars[kv.Name]; !set {
			plain = append(plain, kv)
		}
	}
	slices.SortFunc(plain, func(a, b keyValue) int { return strings.Compare(a.Name, b.Name) })
	return plain, secrets
}

// rackVars are the variables the rack gives every container of service s
// (of kind, a process of the service or a timer's), as Convox does, and
// PORT for a service with a port (Convox's generation 1 set it; generation
// 2 does not, but an app that reads it gets its port).
func (r *renderer) rackVars(s manifest.Service, kind string) []keyValue {
	o := r.o
	vars := []keyValue{
		{Name: "APP", Value: o.App},
		{Name: "AWS_REGION", Value: ref(awsRegion)},
		{Name: "BUILD", Value: o.Release.Build},
		{Name: "RACK", Value: o.Rack.Name},
		{Name: "RELEASE", Value: o.Release.ID},
		{Name: "SERVICE", Value: s.Name},
	}
	if s.Port.Port > 0 && kind == processService {
		vars = append(vars, keyValue{Name: "PORT", Value: itoa(s.Port.Port)})
	}
	for _, l := range s.Links {
		// Checked: a linked service has a port and a host.
		linked, _ := r.m.Service(l)
		vars = append(vars, keyValue{Name: envName(l) + "_URL", Value: r.url(linked)})
	}
	return vars
}

// envName is a service's name as part of a variable's: WEB_API for
// web-api.
func envName(service string) string {
	return strings.ToUpper(strings.ReplaceAll(service, "-", "_"))
}

// url is where service s answers: on its first host, over HTTPS when its
// balancer has a certificate.
func (r *renderer) url(s manifest.Service) string {
	scheme := "http"
	if _, https := r.listener(balancers(s)[0]); https {
		scheme = "https"
	}
	return scheme + "://" + r.hosts(s)[0]
}

// image is service's image: every service, those with an image: too, is
// pushed to the app's repository by the build, tagged <service>.<build>.
func (r *renderer) image(service string) fn {
	return sub("${" + idRepository + ".RepositoryUri}:" + subLiteral(service+"."+r.o.Release.Build))
}

// container is the one container of a task of service s, of kind (a
// process of the service or a timer's), named name, running command (the
// image's own when nil).
func (r *renderer) container(s manifest.Service, name, kind string, command []string) containerDefinition {
	env, secrets := r.env(s, r.rackVars(s, kind))
	c := containerDefinition{
		Name:        name,
		Image:       r.image(s.Name),
		Essential:   true,
		Command:     command,
		Environment: env,
		Secrets:     secrets,
		LogConfiguration: logConfiguration{LogDriver: "awslogs", Options: map[string]any{
			"awslogs-group":         ref(idLogGroup),
			"awslogs-region":        ref(awsRegion),
			"awslogs-stream-prefix": kind,
		}},
		StopTimeout: new(min(s.Termination, maxStopTimeout)),
		Privileged:  s.Privileged,
		Ulimits:     []ulimit{{Name: "nofile", SoftLimit: 1024000, HardLimit: 1024000}},
		DockerLabels: map[string]string{
			"convox.app":          r.o.App,
			"convox.generation":   "2",
			"convox.process.type": kind,
			"convox.release":      r.o.Release.ID,
		},
	}
	if !r.o.Rack.Fargate {
		c.Cpu, c.Memory = s.Scale.CPU, s.Scale.Memory
	}
	if s.Init {
		c.LinuxParameters = &linuxParameters{InitProcessEnabled: true}
	}
	for i, v := range s.Volumes {
		c.MountPoints = append(c.MountPoints, mountPoint{SourceVolume: volumeName(i), ContainerPath: v.Path})
	}
	return c
}

// maxStopTimeout is the longest ECS lets a container take to stop.
const maxStopTimeout = 120

// taskDefinition is a task definition of s's image in family, with its
// one container c.
func (r *renderer) taskDefinition(s manifest.Service, family string, c containerDefinition, taskRole string) taskDefinition {
	td := taskDefinition{
		Family:                  family,
		ContainerDefinitions:    []containerDefinition{c},
		NetworkMode:             "bridge",
		RequiresCompatibilities: []string{"EC2"},
		ExecutionRoleArn:        getAtt(idExecutionRole, "Arn"),
		Tags:                    tags(s.Tags),
	}
	if r.o.Rack.Fargate {
		cpu, memory, _ := fargateSize(s.Scale.CPU, s.Scale.Memory) // checked
		td.NetworkMode, td.RequiresCompatibilities = "awsvpc", []string{"FARGATE"}
		td.Cpu, td.Memory = itoa(cpu), itoa(memory)
	}
	if taskRole != "" {
		td.TaskRoleArn = getAtt(taskRole, "Arn")
	}
	for i, v := range s.Volumes {
		td.Volumes = append(td.Volumes, volume{Name: volumeName(i), Host: hostVolume{SourcePath: volumeSource(r.o.App, v)}})
	}
	return td
}

// volumeName names a task's ith volume.
func volumeName(i int) string { return "volume-" + itoa(i) }

// volumeSource is where on the host volume v is: its source when that is
// a path, else a directory of the app's under /volumes, as Convox keeps
// them.
func volumeSource(app string, v manifest.Volume) string {
	switch {
	case strings.HasPrefix(v.Source, "/"):
		return v.Source
	case v.Source != "":
		return "/volumes/" + app + "/" + v.Source
	default:
		return "/volumes/" + app + v.Path
	}
}

// tags are the manifest's tags as CloudFormation's, in key order.
func tags(m map[string]string) []tag {
	var out []tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, tag{Key: k, Value: m[k]})
	}
	return out
}

// placement is how a service's or timer's tasks are placed: on Fargate or
// through the rack's capacity provider (or the EC2 launch type when the
// rack names none), and on Fargate in the rack's subnets with public IPs,
// behind security group sg.
func (r *renderer) placement(sg string) (launchType string, providers []capacityProviderItem, network *networkConfiguration) {
	rk := r.o.Rack
	if rk.Fargate {
		return "FARGATE", nil, &networkConfiguration{AwsvpcConfiguration: awsvpcConfiguration{
			AssignPublicIp: "ENABLED",
			SecurityGroups: []any{ref(sg)},
			Subnets:        slices.Clone(rk.Subnets),
		}}
	}
	if rk.CapacityProvider == "" {
		return "EC2", nil, nil
	}
	return "", []capacityProviderItem{{CapacityProvider: rk.CapacityProvider, Weight: 1}}, nil
}

// clusterARN is the ARN of the rack's cluster, made from its name.
func (r *renderer) clusterARN() fn {
	return arn("ecs", "cluster/"+subLiteral(r.o.Rack.Cluster))
}
