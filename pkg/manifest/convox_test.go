package manifest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/manifest"
)

// The cases here are modelled on Convox's own test manifests: each reads
// as Convox reads it, or fails where Convox fails.

// full is a manifest that uses most of the schema, as Convox's full test
// manifest does.
const full = `
environment:
  - DEVELOPMENT=true
  - GLOBAL=true
  - OTHERGLOBAL
params:
  Foo: bar
resources:
  database:
    type: postgres
    options:
      size: db.t3.large
services:
  api:
    build:
      manifest: Dockerfile2
      path: api
    command: [bin/api, start]
    domain: foo.example.org
    deployment:
      minimum: 25
      maximum: 150
    environment:
      - DEFAULT=test
      - DEVELOPMENT=false
      - SECRET
    health:
      interval: 10
    init: true
    resources:
      - database
    port: 1000
    scale: 3-10
    termination:
      grace: 45
    test: make ${BAR} test
  proxy: &proxy
    command: bash
    domain:
      - bar.example.org
      - "*.example.org"
    image: ubuntu:24.04
    environment:
      - SECRET
    health: /auth
    port: https:2000
    scale:
      cpu: 512
      memory: 1024
  foo:
    command:
      - foo
    domain: baz.example.org, qux.example.org
    drain: 60
    health:
      grace: 2
      timeout: 3
    port:
      scheme: https
      port: 3000
    scale: 0
    singleton: true
    sticky: false
  bar:
  scaler:
    scale:
      cooldown:
        down: 61
        up: 59
      count: 1-5
      targets:
        cpu: 50
        memory: 75
        requests: 200
        custom:
          AWS/SQS/ApproximateNumberOfMessagesVisible:
            aggregate: max
            value: 200
            dimensions:
              QueueName: testqueue
  inherit:
    "<<": *proxy
    command: inherit
  agent:
    agent:
      ports:
        - 5000/udp
        - 5001
        - 5002/tcp
`

func TestConvoxFull(t *testing.T) {
	env := map[string]string{"FOO": "bar", "SECRET": "shh", "OTHERGLOBAL": "test"}
	m, err := manifest.Load([]byte(full), env)
	require.NoError(t, err)

	require.Equal(t, []string{"DEVELOPMENT=true", "GLOBAL=true", "OTHERGLOBAL"}, m.Environment)
	require.Equal(t, map[string]string{"Foo": "bar"}, m.Params)
	require.Equal(t, []manifest.Resource{{Name: "database", Type: "postgres", Options: map[string]string{"size": "db.t3.large"}}}, m.Resources)

	proxy := func(name string, command ...string) manifest.Service {
		return pulled(name, "ubuntu:24.04", func(s *manifest.Service) {
			s.Command = command
			s.Domains = []string{"bar.example.org", "*.example.org"}
			s.Environment = []string{"SECRET"}
			s.Health.Path = "/auth"
			s.Port = manifest.Port{Scheme: "https", Port: 2000}
			s.Scale.CPU, s.Scale.Memory = 512, 1024
		})
	}
	require.Equal(t, []manifest.Service{
		built("agent", func(s *manifest.Service) {
			s.Agent = manifest.Agent{Enabled: true, Ports: []manifest.AgentPort{{Port: 5000, Protocol: "udp"}, {Port: 5001, Protocol: "tcp"}, {Port: 5002, Protocol: "tcp"}}}
			s.Deployment = manifest.Deployment{Minimum: 0, Maximum: 100}
		}),
		built("api", func(s *manifest.Service) {
			s.Build = manifest.Build{Path: "api", Manifest: "Dockerfile2"}
			s.Command = []string{"bin/api", "start"}
			s.Deployment = manifest.Deployment{Minimum: 25, Maximum: 150}
			s.Domains = []string{"foo.example.org"}
			s.Environment = []string{"DEFAULT=test", "DEVELOPMENT=false", "SECRET"}
			s.Health = manifest.Health{Path: "/", Interval: 10, Timeout: 9, Grace: 10}
			s.Init = true
			s.Port = manifest.Port{Scheme: "http", Port: 1000}
			s.Resources = []string{"database"}
			s.Scale.Min, s.Scale.Max = 3, 10
			s.Termination = 45
			s.Test = "make  test"
		}),
		built("bar"),
		built("foo", func(s *manifest.Service) {
			s.Command = []string{"foo"}
			s.Deployment = manifest.Deployment{Minimum: 0, Maximum: 100}
			s.Domains = []string{"baz.example.org", "qux.example.org"}
			s.Drain = 60
			s.Health = manifest.Health{Path: "/", Interval: 5, Timeout: 3, Grace: 2}
			s.Port = manifest.Port{Scheme: "https", Port: 3000}
			s.Scale.Min, s.Scale.Max = 0, 0
			s.Singleton, s.Sticky = true, false
		}),
		proxy("inherit", "sh", "-c", "inherit"),
		proxy("proxy", "sh", "-c", "bash"),
		built("scaler", func(s *manifest.Service) {
			s.Scale = manifest.Scale{
				Min: 1, Max: 5, CPU: 256, Memory: 512, Cooldown: manifest.Cooldown{Down: 61, Up: 59},
				Targets: manifest.Targets{CPU: 50, Memory: 75, Requests: 200, Custom: []manifest.Metric{{
					Namespace: "AWS/SQS", Name: "ApproximateNumberOfMessagesVisible", Aggregate: "max", Value: 200,
					Dimensions: map[string]string{"QueueName": "testqueue"},
				}}},
			}
		}),
	}, m.Services)

	scaler := service(t, m, "scaler")
	require.True(t, scaler.Autoscale())
	require.False(t, service(t, m, "api").Autoscale(), "a range with no target is not autoscaled")

	require.Empty(t, m.MissingEnv(env))
	require.Equal(t, map[string]string{"DEFAULT": "test", "DEVELOPMENT": "false", "GLOBAL": "true", "OTHERGLOBAL": "test", "SECRET": "shh"}, m.ServiceEnv("api", env))
	require.Equal(t, map[string]string{"DEVELOPMENT": "true", "GLOBAL": "true", "OTHERGLOBAL": "test", "SECRET": "shh"}, m.ServiceEnv("proxy", env))

	// Without the app's environment, the same manifest lacks two variables.
	m, err = manifest.Load([]byte(full), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"OTHERGLOBAL", "SECRET"}, m.MissingEnv(nil))
}

func TestConvoxSimple(t *testing.T) {
	m := parse(t, "services:\n  web:\n    build: .\n    environment:\n      - REQUIRED\n      - DEFAULT=true\n")
	require.Equal(t, []manifest.Service{built("web", func(s *manifest.Service) { s.Environment = []string{"REQUIRED", "DEFAULT=true"} })}, m.Services)
	require.Equal(t, []string{"REQUIRED"}, m.MissingEnv(map[string]string{}))
	env := map[string]string{"FOO": "bar", "REQUIRED": "false"}
	require.Empty(t, m.MissingEnv(env))
	require.Equal(t, map[string]string{"REQUIRED": "false", "DEFAULT": "true"}, m.ServiceEnv("web", env), "only what it declares")
	require.Equal(t, map[string]string{"FOO": "bar", "REQUIRED": "false"}, env, "env is left alone")
	require.Nil(t, m.ServiceEnv("nope", env))
}

func TestConvoxEnv(t *testing.T) {
	m, err := manifest.Load([]byte(`
environment:
  - NODE_ENV=${STAGE}
  - SQS_REGION=${AWS_REGION}
  - SQS_ENDPOINT=https://sqs.${AWS_REGION}.amazonaws.com
  - FOO=bar
services:
  q-train:
    environment:
      - QUEUE_NAME=train
  q-delete:
    environment:
      - QUEUE_NAME=delete
`), map[string]string{"AWS_REGION": "eu-west-1"})
	require.NoError(t, err)
	require.Equal(t, []string{"NODE_ENV=", "SQS_REGION=eu-west-1", "SQS_ENDPOINT=https://sqs.eu-west-1.amazonaws.com", "FOO=bar"}, m.Environment)
	require.Empty(t, m.MissingEnv(nil))
	require.Equal(t, "delete", m.ServiceEnv("q-delete", nil)["QUEUE_NAME"])
	require.Equal(t, "train", m.ServiceEnv("q-train", nil)["QUEUE_NAME"])
	require.Equal(t, map[string]string{"NODE_ENV": "", "SQS_REGION": "eu-west-1", "SQS_ENDPOINT": "https://sqs.eu-west-1.amazonaws.com", "FOO": "bar", "QUEUE_NAME": "train"},
		m.ServiceEnv("q-train", nil))
}

func TestEnvRules(t *testing.T) {
	m := parse(t, `
environment: [SHARED, TOKEN=t]
services:
  a:
    environment: [SHARED=fallback, OWN]
  b:
    environment: ["*", TOKEN]
`)
	// a gives SHARED a default; b requires it; TOKEN has a default everywhere.
	require.Equal(t, []string{"OWN", "SHARED"}, m.MissingEnv(nil))
	require.Equal(t, []string{"SHARED"}, m.MissingEnv(map[string]string{"OWN": "x"}))
	env := map[string]string{"SHARED": "s", "EXTRA": "e"}
	require.Equal(t, map[string]string{"SHARED": "s", "TOKEN": "t", "OWN": ""}, m.ServiceEnv("a", env), "a value set wins over a default")
	require.Equal(t, map[string]string{"SHARED": "s", "TOKEN": "t", "EXTRA": "e"}, m.ServiceEnv("b", env), "* takes all of env")
}

func TestConvoxInvalid(t *testing.T) {
	for _, c := range []struct{ name, yaml, errs string }{
		{"a scalar", "foo", `"foo": a mapping of names and values`},
		// Convox reads this as an app with no services; Rack says why.
		{"misspelt services", "servicess:\n  web:\n    build: .", "servicess: unknown key (did you mean \"services\"?)\nservices: no services: an app needs at least one"},
		{"resource without a type", "resources:\n  database:\nservices:\n  web:\n    resources:\n      - database", "resources.database: no type"},
		{"service name", "services:\n  web_app:\n    build: .", `services.web_app: "web_app" is not a name: lowercase letters, digits and hyphens, starting with a letter`},
		// Convox's full manifest says maximum: 65, which ECS and Convox's
		// later validation refuse.
		{"deployment maximum", "services:\n  api:\n    deployment: {minimum: 25, maximum: 65}", "services.api.deployment.maximum: 65: between 100 and 200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := manifest.Parse([]byte(c.yaml))
			es, ok := manifest.IsErrors(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, c.errs, es.Error())
		})
	}
}

func TestConvoxNLB(t *testing.T) {
	m := parse(t, `
services:
  api:
    image: example/api
    port: http:3000
    nlb:
      - port: 8443
        protocol: tcp
        containerPort: 8443
        scheme: public
      - port: 50051
        scheme: internal
      - port: 3000
      - port: 9000
        containerPort: 3001
        protocol: TCP
        scheme: Public
  tls:
    image: example/api
    internal: true
    nlb:
      - port: 443
        protocol: tls
        containerPort: 8080
        scheme: internal
        certificate: arn:aws:acm:us-east-1:123456789012:certificate/ffff-9999
      - port: 444
        protocol: tls
        containerPort: 8081
        certificate: arn:aws-us-gov:iam::123456789012:server-certificate/my-server-cert
      - port: 8080
        containerPort: 9090
  none:
    image: x
    nlb:
`)
	require.Equal(t, []manifest.NLBPort{
		{Port: 8443, ContainerPort: 8443, Protocol: "tcp", Scheme: "public"},
		{Port: 50051, ContainerPort: 50051, Protocol: "tcp", Scheme: "internal"},
		{Port: 3000, ContainerPort: 3000, Protocol: "tcp", Scheme: "public"}, // beside the balancer's port 3000
		{Port: 9000, ContainerPort: 3001, Protocol: "tcp", Scheme: "public"},
	}, service(t, m, "api").NLB)
	require.Equal(t, []manifest.NLBPort{
		{Port: 443, ContainerPort: 8080, Protocol: "tls", Scheme: "internal", Certificate: "arn:aws:acm:us-east-1:123456789012:certificate/ffff-9999"},
		{Port: 444, ContainerPort: 8081, Protocol: "tls", Scheme: "public", Certificate: "arn:aws-us-gov:iam::123456789012:server-certificate/my-server-cert"},
		{Port: 8080, ContainerPort: 9090, Protocol: "tcp", Scheme: "public"},
	}, service(t, m, "tls").NLB)
	require.Empty(t, service(t, m, "none").NLB)
}
