// Package manifest reads convox.yml, Convox's generation 2 app manifest:
// its environment, params, resources, services and timers, with Convox's
// defaults. It is pure: the CLI checks a manifest with it before uploading
// anything, and the API checks what it records. Every error is reported at
// once, each with its field path ("services.web.port: ...").
package manifest

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Convox's defaults for a service (convox/rack pkg/manifest).
const (
	DefaultCPU            = 256 // CPU units
	DefaultMemory         = 512 // MiB
	DefaultHealthPath     = "/"
	DefaultHealthInterval = 5  // seconds; timeout is one less, grace the same
	DefaultDrain          = 30 // seconds
	DefaultTermination    = 30 // seconds
	DefaultCooldown       = 60 // seconds, each way, between autoscaling steps
	DefaultConcurrency    = "Allow"
)

// ResourceTypes are the resource types Convox's generation 2 apps know.
var ResourceTypes = []string{"efs", "mariadb", "memcached", "mysql", "postgres", "redis", "valkey"}

// Concurrencies are the values of a timer's concurrency: what a run does
// when the previous one is still going (run beside it, skip, or replace it).
var Concurrencies = []string{"Allow", "Forbid", "Replace"}

// Manifest is a parsed, checked convox.yml with its defaults applied.
type Manifest struct {
	Environment []string // app-wide variables: NAME, NAME=default, or *
	Params      map[string]string
	Resources   []Resource // in name order
	Services    []Service  // in name order
	Timers      []Timer    // in name order
}

// Resource is a backing service the app's stack makes, such as a database.
type Resource struct {
	Name    string
	Type    string            // one of ResourceTypes
	Options map[string]string // the type's template parameters, by Convox's names (size, version, ...)
	Tags    map[string]string
}

// Service is one service of the app.
type Service struct {
	Name  string
	Build Build // empty when the service runs an Image
	Image string
	// Command is the container's command, as ECS takes it: a string in the
	// manifest runs in a shell, ["sh", "-c", string], as Convox runs it; a
	// list is the exec form, as given. Nil runs the image's own command.
	Command             []string
	Port                Port
	Health              Health
	Scale               Scale
	Domains             []string
	Environment         []string // NAME, NAME=default, or *; the app-wide ones are in Manifest.Environment
	Resources           []string // names of the manifest's resources
	Links               []string // names of other services, whose URLs it is given
	Volumes             []Volume
	Policies            []string          // IAM policy ARNs for its task role
	Tags                map[string]string // tags of its stack
	NLB                 []NLBPort
	Agent               Agent
	Internal            bool // behind the rack's internal balancer
	InternalAndExternal bool // behind both balancers; implies Internal
	Singleton           bool // never more than one running, even in a deploy
	Sticky              bool
	Init                bool // runs under an init process
	Privileged          bool
	Test                string // the command `convox test` runs
	Drain               int    // seconds
	Deployment          Deployment
	Termination         int // seconds of grace
}

// Build says how a service's image is built.
type Build struct {
	Path     string   // the context directory, relative to the manifest
	Manifest string   // the Dockerfile, relative to Path
	Args     []string // build arguments: NAME or NAME=value
}

// Port is where a service listens; Port 0 means it does not.
type Port struct {
	Scheme string // http or https
	Port   int
}

// Health is a service's health check.
type Health struct {
	Path                     string
	Interval, Timeout, Grace int // seconds
}

// Scale is a service's size. It is autoscaled when Min < Max and a target
// is set (see Service.Autoscale).
type Scale struct {
	Min, Max    int // instances: Min == Max unless autoscaled
	CPU, Memory int
	Cooldown    Cooldown
	Targets     Targets
}

// Cooldown is the seconds autoscaling waits after scaling in (Down) or out
// (Up) before it scales again.
type Cooldown struct {
	Down, Up int
}

// Targets are the values target-tracking autoscaling holds a service at;
// zero means no target of that kind.
type Targets struct {
	CPU      int      // average CPU utilization, percent
	Memory   int      // average memory utilization, percent
	Requests int      // balancer requests per instance per minute
	Custom   []Metric // CloudWatch metrics, in Namespace/Name order
}

// Metric is a custom CloudWatch metric autoscaling tracks, written in the
// manifest as Namespace/Name: {aggregate, value, dimensions}.
type Metric struct {
	Namespace  string // AWS/SQS
	Name       string // ApproximateNumberOfMessagesVisible
	Aggregate  string // avg, max, min or sum
	Value      float64
	Dimensions map[string]string
}

// Statistic is the CloudWatch statistic of a metric's aggregate.
func (m Metric) Statistic() string {
	return statistics[m.Aggregate]
}

var statistics = map[string]string{"avg": "Average", "max": "Maximum", "min": "Minimum", "sum": "Sum"}

// Deployment bounds a service's running count during a deploy, in percent
// of its desired count.
type Deployment struct {
	Minimum, Maximum int
}

// Agent says whether a service runs one instance on every host, and which
// of its ports are bound on the host.
type Agent struct {
	Enabled bool
	Ports   []AgentPort
}

// AgentPort is a port an agent binds on its host.
type AgentPort struct {
	Port     int
	Protocol string // tcp or udp
}

// Volume is a directory mounted into a service's containers.
type Volume struct {
	// Source is where it comes from: the name of an efs resource of the
	// manifest; a host path (absolute); else a directory of the app's own,
	// Convox's /volumes/<app>/<Source>, or /volumes/<app>/<Path> when
	// Source is "".
	Source string
	Path   string // where it is mounted in the container: absolute
}

// NLBPort is a port of the rack's network load balancer forwarded to a
// service.
type NLBPort struct {
	Port             int
	ContainerPort    int    // defaults to Port
	Protocol         string // tcp (default) or tls
	Scheme           string // public (default) or internal
	Certificate      string // ACM or IAM server-certificate ARN, for tls
	CrossZone        *bool  // nil: the balancer's own setting
	AllowCIDR        []string
	PreserveClientIP *bool // nil: the rack's default for the scheme
}

// Timer runs a command of a service on a schedule.
type Timer struct {
	Name        string
	Schedule    string // cron, 5 or 6 fields
	Command     string
	Service     string
	Concurrency string   // one of Concurrencies
	Policies    []string // IAM policy ARNs; its service's when it names none
}

// Cron is the timer's schedule in the six fields of an EventBridge cron
// expression: a five-field schedule runs every year.
func (t Timer) Cron() string {
	if len(strings.Fields(t.Schedule)) == 5 {
		return t.Schedule + " *"
	}
	return t.Schedule
}

// Autoscale reports whether the service scales itself: its count is a
// range, it has a target, and it is not an agent.
func (s Service) Autoscale() bool {
	t := s.Scale.Targets
	return !s.Agent.Enabled && s.Scale.Min < s.Scale.Max &&
		(t.CPU > 0 || t.Memory > 0 || t.Requests > 0 || len(t.Custom) > 0)
}

// Error is one thing wrong with a manifest, at a field path.
type Error struct {
	Path    string // services.web.port; "" for the document
	Message string
}

func (e Error) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Errors is everything wrong with a manifest, in the order found: section
// by section, names sorted; past 200, the last says how many more.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// interpolation is ${NAME} in a manifest, as Convox finds it.
var interpolation = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([^}]*?)\}`) })

// Load reads and checks a convox.yml as Convox does: every ${NAME} in the
// text is first replaced by the value of NAME in env (the app's
// environment), or by nothing when NAME is not there.
func Load(data []byte, env map[string]string) (Manifest, error) {
	return Parse(interpolation().ReplaceAllFunc(data, func(m []byte) []byte {
		return []byte(env[string(m[2:len(m)-1])])
	}))
}

// Parse reads and checks a convox.yml as it is, ${NAME} and all. Its error
// is Errors, listing every problem found.
func Parse(data []byte) (Manifest, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Manifest{}, Errors{{Message: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	d := newDecoder()
	m := d.manifest(&doc)
	if len(d.errs) > 0 {
		return Manifest{}, d.errors()
	}
	return m, nil
}

// IsErrors reports whether err lists a manifest's problems, and returns them.
func IsErrors(err error) (Errors, bool) {
	var es Errors
	ok := errors.As(err, &es)
	return es, ok
}

// Service finds a service by name.
func (m Manifest) Service(name string) (Service, bool) {
	i := slices.IndexFunc(m.Services, func(s Service) bool { return s.Name == name })
	if i < 0 {
		return Service{}, false
	}
	return m.Services[i], true
}

// Resource finds a resource by name.
func (m Manifest) Resource(name string) (Resource, bool) {
	i := slices.IndexFunc(m.Resources, func(r Resource) bool { return r.Name == name })
	if i < 0 {
		return Resource{}, false
	}
	return m.Resources[i], true
}
