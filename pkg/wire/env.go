// Package wire is the rack's composition root: it reads a function's
// configuration from its environment, builds the AWS SDK configuration
// Lambda gives it, and starts the function. Each function's own wiring is
// a package under it (apifn, buildsfn, ...), which builds only the AWS
// clients that function calls: importing a service client costs a function
// size and start time whether it calls it or not.
package wire

import (
	"slices"
	"strconv"
	"strings"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// Env is one rack's configuration, as the rack stack gives it to its
// functions (the variables are named in pkg/names).
type Env struct {
	Rack           string // the rack's name
	Table          string // the DynamoDB table
	Key            string // the KMS key that seals app environments
	Version        string // "dev" when unset
	Domain         string // the API's host name, when known
	Builder        string // the CodeBuild project that builds apps
	EventBus       string // where rack events go; none are sent without it
	Webhooks       string // comma-separated URLs rack events are posted to
	Cluster        string // the ECS cluster's name
	InstancesGroup string // the Auto Scaling group of the cluster's instances
	// StackRole is the service role CloudFormation carries out the API's
	// changes of the rack stack with; empty, they run with the api
	// function's own permissions.
	StackRole string
	Bucket    string // the rack's bucket: uploaded sources
	Registry  string // the host of the apps' image repositories
	BuildLogs string // the log group of the builder's output
	// BuildRetention is how many builds an app keeps; 0 when unset or
	// not a positive number (the use cases' default then).
	BuildRetention int
	// What app stacks take from the rack: its network, capacity and
	// router settings.
	VPC              string
	Subnets          []string
	CapacityProvider string
	Fargate          bool
	Certificate      string
	AppDomain        string
	AppStackRole     string
	// RackLogs are the log groups of the rack's functions, by function.
	RackLogs map[string]string
}

// ReadEnv reads an Env. Every variable in required must be set; the
// missing ones are named in one EINVALID error.
func ReadEnv(getenv func(string) string, required ...string) (Env, error) {
	e := Env{
		Rack:           getenv(names.EnvRack),
		Table:          getenv(names.EnvTable),
		Key:            getenv(names.EnvKey),
		Version:        getenv(names.EnvVersion),
		Domain:         getenv(names.EnvDomain),
		Builder:        getenv(names.EnvBuilder),
		EventBus:       getenv(names.EnvEventBus),
		Webhooks:       getenv(names.EnvWebhooks),
		Cluster:        getenv(names.EnvCluster),
		InstancesGroup: getenv(names.EnvInstancesGroup),
		StackRole:      getenv(names.EnvStackRole),
		Bucket:         getenv(names.EnvBucket),
		Registry:       getenv(names.EnvRegistry),
		BuildLogs:      getenv(names.EnvBuildLogs),
	}
	e.VPC, e.CapacityProvider = getenv(names.EnvVPC), getenv(names.EnvCapacityProvider)
	e.Fargate = getenv(names.EnvFargate) == "Yes"
	e.Certificate, e.AppDomain, e.AppStackRole = getenv(names.EnvCertificate), getenv(names.EnvAppDomain), getenv(names.EnvAppStackRole)
	for _, pair := range strings.Split(getenv(names.EnvRackLogs), ",") {
		if fn, group, ok := strings.Cut(strings.TrimSpace(pair), "="); ok && fn != "" && group != "" {
			if e.RackLogs == nil {
				e.RackLogs = map[string]string{}
			}
			e.RackLogs[fn] = group
		}
	}
	for _, s := range strings.Split(getenv(names.EnvSubnets), ",") {
		if s = strings.TrimSpace(s); s != "" {
			e.Subnets = append(e.Subnets, s)
		}
	}
	if n, err := strconv.Atoi(getenv(names.EnvBuildRetention)); err == nil && n > 0 {
		e.BuildRetention = n
	}
	var missing []string
	for _, name := range required {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return Env{}, rack.Errorf(rack.EINVALID, "configuration: %s not set", strings.Join(slices.Compact(missing), ", "))
	}
	if e.Version == "" {
		e.Version = "dev"
	}
	return e, nil
}

// System describes the rack from its configuration.
func (e Env) System(region string) rack.System {
	return rack.System{Name: e.Rack, Provider: "aws", Region: region, Version: e.Version, Domain: e.Domain}
}
