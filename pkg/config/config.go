// Package config reads the rack's runtime configuration from the
// environment the rack stack gives each function (and that
// scripts/export-env writes for a local API), and builds the AWS clients
// once per process from the SDK's own configuration chain, which reads
// AWS_ENDPOINT_URL as it does on AWS.
package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/rackhq/rack/pkg/rack"
)

// Names of the environment variables.
const (
	EnvRack              = "RACK_NAME"
	EnvTable             = "RACK_TABLE"
	EnvKey               = "RACK_KEY"
	EnvPasswordParameter = "RACK_PASSWORD_PARAMETER"
	EnvVersion           = "RACK_VERSION"
	EnvDomain            = "RACK_DOMAIN"
	EnvBuilder           = "RACK_BUILDER"
	EnvEventBus          = "RACK_EVENT_BUS"
	EnvWebhooks          = "RACK_WEBHOOKS"
	EnvCluster           = "RACK_CLUSTER"
	EnvInstancesGroup    = "RACK_INSTANCES_GROUP"
)

// Config is one rack's configuration.
type Config struct {
	Rack              string // the rack's name, prefix of its app stacks
	Table             string // the DynamoDB table
	Key               string // the KMS key that seals app environments
	PasswordParameter string // the SSM parameter holding the password hash
	Version           string
	Domain            string // the API's host name, when known
	Builder           string // the CodeBuild project that builds apps
	EventBus          string // where rack events go; none are sent without it
	Webhooks          string // comma-separated URLs rack events are delivered to
	Cluster           string // the ECS cluster's name
	InstancesGroup    string // the Auto Scaling group of the cluster's instances
}

// FromEnv reads a Config; every missing variable is named in one error.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Rack:              getenv(EnvRack),
		Table:             getenv(EnvTable),
		Key:               getenv(EnvKey),
		PasswordParameter: getenv(EnvPasswordParameter),
		Version:           getenv(EnvVersion),
		Domain:            getenv(EnvDomain),
		Builder:           getenv(EnvBuilder),
		EventBus:          getenv(EnvEventBus),
		Webhooks:          getenv(EnvWebhooks),
		Cluster:           getenv(EnvCluster),
		InstancesGroup:    getenv(EnvInstancesGroup),
	}
	var missing []string
	for name, v := range map[string]string{EnvRack: c.Rack, EnvTable: c.Table, EnvKey: c.Key, EnvPasswordParameter: c.PasswordParameter} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Config{}, rack.Errorf(rack.EINVALID, "configuration: %s not set", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	return c, nil
}

// AWS loads the SDK configuration: region, credentials and endpoint as the
// SDK finds them (AWS_REGION, AWS_ENDPOINT_URL, ...).
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// System describes the rack from its configuration.
func (c Config) System(region string) rack.System {
	return rack.System{Name: c.Rack, Provider: "aws", Region: region, Version: c.Version, Domain: c.Domain}
}

// EnvLogLevel names the log level variable: "debug" on a Development rack.
const EnvLogLevel = "RACK_LOG_LEVEL"

// Logger returns the JSON handler functions log with, at the level the
// environment asks for (info unless RACK_LOG_LEVEL says debug, warn or
// error).
func Logger(getenv func(string) string) slog.Handler {
	var level slog.Level
	if err := level.UnmarshalText([]byte(getenv(EnvLogLevel))); err != nil {
		level = slog.LevelInfo
	}
	return slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level})
}

// Require fails, naming them, unless the optional variables a function
// needs are set.
func (c Config) Require(names ...string) error {
	values := map[string]string{
		EnvDomain: c.Domain, EnvBuilder: c.Builder, EnvEventBus: c.EventBus, EnvWebhooks: c.Webhooks,
		EnvCluster: c.Cluster, EnvInstancesGroup: c.InstancesGroup,
	}
	var missing []string
	for _, n := range names {
		if values[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return rack.Errorf(rack.EINVALID, "configuration: %s not set", strings.Join(missing, ", "))
	}
	return nil
}
