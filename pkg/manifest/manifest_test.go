package manifest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/manifest"
)

// built is a service built from "." with every default, changed by edits.
func built(name string, edits ...func(*manifest.Service)) manifest.Service {
	s := manifest.Service{
		Name: name, Build: manifest.Build{Path: ".", Manifest: "Dockerfile"},
		Health: manifest.Health{Path: "/", Interval: 5, Timeout: 4, Grace: 5},
		Scale: manifest.Scale{
			Min: 1, Max: 1, CPU: 256, Memory: 512, Cooldown: manifest.Cooldown{Down: 60, Up: 60},
		},
		Sticky: true, Drain: 30, Deployment: manifest.Deployment{Minimum: 50, Maximum: 200}, Termination: 30,
	}
	for _, e := range edits {
		e(&s)
	}
	return s
}

// pulled is a service that runs image, with every default.
func pulled(name, image string, edits ...func(*manifest.Service)) manifest.Service {
	return built(name, append([]func(*manifest.Service){func(s *manifest.Service) {
		s.Build, s.Image = manifest.Build{}, image
	}}, edits...)...)
}

func parse(t *testing.T, yaml string) manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(yaml))
	require.NoError(t, err)
	return m
}

func service(t *testing.T, m manifest.Manifest, name string) manifest.Service {
	t.Helper()
	s, ok := m.Service(name)
	require.True(t, ok, "no service %s", name)
	return s
}

func TestDefaults(t *testing.T) {
	m := parse(t, "services:\n  web:\n    port: 3000\n  worker:\n    image: redis:7\n  empty:\n")
	require.Equal(t, []manifest.Service{
		built("empty"),
		built("web", func(s *manifest.Service) { s.Port = manifest.Port{Scheme: "http", Port: 3000} }),
		pulled("worker", "redis:7"),
	}, m.Services)
	require.Empty(t, m.Timers)
	require.Empty(t, m.Resources)
	require.Empty(t, m.Environment)
	require.Equal(t, map[string]string{}, m.Params)
	require.False(t, m.Services[0].Autoscale())
}

// TestDefaultsByKind covers the defaults that depend on other keys.
func TestDefaultsByKind(t *testing.T) {
	m := parse(t, `
services:
  agent: {agent: true}
  single: {singleton: true}
  both: {internalAndExternal: true}
  half: {scale: {cpu: 1024}, health: {interval: 30}, build: {manifest: Dockerfile.dev}}
  cool: {scale: {cooldown: {up: 10}}}
  metrics: {agent: {ports: [8125/udp]}}
timers:
  t: {schedule: "* * * * ?", command: c, service: agent}
`)
	require.Equal(t, manifest.Deployment{Minimum: 0, Maximum: 100}, service(t, m, "agent").Deployment, "an agent runs one a host")
	require.Equal(t, manifest.Deployment{Minimum: 0, Maximum: 100}, service(t, m, "single").Deployment, "a singleton never runs two")
	require.True(t, service(t, m, "both").Internal, "internalAndExternal is internal too")
	half := service(t, m, "half")
	require.Equal(t, manifest.Scale{Min: 1, Max: 1, CPU: 1024, Memory: 512, Cooldown: manifest.Cooldown{Down: 60, Up: 60}}, half.Scale)
	require.Equal(t, manifest.Health{Path: "/", Interval: 30, Timeout: 29, Grace: 30}, half.Health, "timeout one below the interval, grace the interval")
	require.Equal(t, manifest.Build{Path: ".", Manifest: "Dockerfile.dev"}, half.Build)
	require.Equal(t, manifest.Cooldown{Down: 60, Up: 10}, service(t, m, "cool").Scale.Cooldown)
	require.Equal(t, manifest.Agent{Enabled: true, Ports: []manifest.AgentPort{{Port: 8125, Protocol: "udp"}}}, service(t, m, "metrics").Agent,
		"a mapping is an agent unless it says otherwise")
	require.Equal(t, []manifest.Timer{{Name: "t", Schedule: "* * * * ?", Command: "c", Service: "agent", Concurrency: "Allow"}}, m.Timers)
	require.Equal(t, "* * * * ? *", m.Timers[0].Cron())
}

func TestEveryKey(t *testing.T) {
	m := parse(t, `
environment:
  - SECRET
  - MODE=production
  - "*"
params:
  Foo: bar
  Count: 3
resources:
  db:
    type: postgres
    options: {storage: 100, version: "16"}
    tags: {team: data}
  files:
    type: efs
services:
  web:
    build: {path: api, manifest: Dockerfile.prod, args: [GO_VERSION=1.26]}
    command: bin/web --port 3000
    port: https:8443
    environment: &env [PORT=3000]
    health: {path: /health, interval: 10, timeout: 3, grace: 30}
    scale:
      count: 2-4
      cpu: 512
      memory: 1024
      cooldown: {down: 120, up: 30}
      targets:
        cpu: 70
        memory: 80
        requests: 1000
        custom:
          AWS/SQS/ApproximateNumberOfMessagesVisible:
            aggregate: max
            value: 200
            dimensions: {QueueName: jobs}
          Custom/Latency: {aggregate: AVG, value: 0.25}
    domain: a.example.org, b.example.org
    resources: [db]
    links: [worker]
    volumes: [/cache, files:/shared, /var/run/docker.sock:/var/run/docker.sock, data:/data]
    policies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
    tags: {team: web}
    nlb:
      - port: 443
        protocol: TLS
        containerPort: 8443
        scheme: Internal
        certificate: arn:aws:acm:us-east-1:123456789012:certificate/0000-1111
        cross_zone: false
        allow_cidr: [10.0.0.0/16]
        preserve_client_ip: true
      - port: 5432
    internal: true
    internalAndExternal: true
    init: true
    privileged: true
    sticky: false
    test: make test
    drain: 5
    deployment: {minimum: 0, maximum: 100}
    termination: {grace: 45}
  worker:
    image: example/worker
    command: [bin/worker, --queue, jobs]
    agent: {enabled: true, ports: [5000/udp, 5001, 5002/TCP]}
    environment: *env
    health: /ping
    port: {port: 4000, scheme: https}
    scale: {count: {min: 0, max: 0}}
    singleton: true
timers:
  cleanup:
    schedule: "0 3 * * ?"
    command: bin/cleanup
    service: web
    concurrency: forbid
  report:
    schedule: "0 4 * * ? *"
    command: bin/report
    service: worker
    policies: [arn:aws:iam::123456789012:policy/reports]
`)
	require.Equal(t, []string{"SECRET", "MODE=production", "*"}, m.Environment)
	require.Equal(t, map[string]string{"Foo": "bar", "Count": "3"}, m.Params)
	require.Equal(t, []manifest.Resource{
		{Name: "db", Type: "postgres", Options: map[string]string{"storage": "100", "version": "16"}, Tags: map[string]string{"team": "data"}},
		{Name: "files", Type: "efs"},
	}, m.Resources)
	db, ok := m.Resource("db")
	require.True(t, ok)
	require.Equal(t, "postgres", db.Type)
	_, ok = m.Resource("nope")
	require.False(t, ok)

	yes, no := true, false
	web := service(t, m, "web")
	require.Equal(t, manifest.Service{
		Name: "web", Build: manifest.Build{Path: "api", Manifest: "Dockerfile.prod", Args: []string{"GO_VERSION=1.26"}},
		Command: []string{"sh", "-c", "bin/web --port 3000"}, Port: manifest.Port{Scheme: "https", Port: 8443},
		Health: manifest.Health{Path: "/health", Interval: 10, Timeout: 3, Grace: 30},
		Scale: manifest.Scale{
			Min: 2, Max: 4, CPU: 512, Memory: 1024, Cooldown: manifest.Cooldown{Down: 120, Up: 30},
			Targets: manifest.Targets{CPU: 70, Memory: 80, Requests: 1000, Custom: []manifest.Metric{
				{Namespace: "AWS/SQS", Name: "ApproximateNumberOfMessagesVisible", Aggregate: "max", Value: 200, Dimensions: map[string]string{"QueueName": "jobs"}},
				{Namespace: "Custom", Name: "Latency", Aggregate: "avg", Value: 0.25},
			}},
		},
		Domains: []string{"a.example.org", "b.example.org"}, Environment: []string{"PORT=3000"},
		Resources: []string{"db"}, Links: []string{"worker"},
		Volumes: []manifest.Volume{
			{Path: "/cache"}, {Source: "files", Path: "/shared"},
			{Source: "/var/run/docker.sock", Path: "/var/run/docker.sock"}, {Source: "data", Path: "/data"},
		},
		Policies: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}, Tags: map[string]string{"team": "web"},
		NLB: []manifest.NLBPort{
			{
				Port: 443, ContainerPort: 8443, Protocol: "tls", Scheme: "internal",
				Certificate: "arn:aws:acm:us-east-1:123456789012:certificate/0000-1111",
				CrossZone:   &no, AllowCIDR: []string{"10.0.0.0/16"}, PreserveClientIP: &yes,
			},
			{Port: 5432, ContainerPort: 5432, Protocol: "tcp", Scheme: "public"},
		},
		Internal: true, InternalAndExternal: true, Init: true, Privileged: true, Sticky: false, Test: "make test",
		Drain: 5, Deployment: manifest.Deployment{Minimum: 0, Maximum: 100}, Termination: 45,
	}, web)
	require.True(t, web.Autoscale())
	require.Equal(t, "Maximum", web.Scale.Targets.Custom[0].Statistic())
	require.Equal(t, "Average", web.Scale.Targets.Custom[1].Statistic())

	worker := service(t, m, "worker")
	require.Equal(t, pulled("worker", "example/worker", func(s *manifest.Service) {
		s.Command = []string{"bin/worker", "--queue", "jobs"}
		s.Agent = manifest.Agent{Enabled: true, Ports: []manifest.AgentPort{{Port: 5000, Protocol: "udp"}, {Port: 5001, Protocol: "tcp"}, {Port: 5002, Protocol: "tcp"}}}
		s.Environment = []string{"PORT=3000"} // an alias reads as its anchor
		s.Health.Path = "/ping"
		s.Port = manifest.Port{Scheme: "https", Port: 4000}
		s.Scale.Min, s.Scale.Max = 0, 0
		s.Singleton = true
		s.Deployment = manifest.Deployment{Minimum: 0, Maximum: 100}
	}), worker)
	require.False(t, worker.Autoscale())

	require.Equal(t, []manifest.Timer{
		{Name: "cleanup", Schedule: "0 3 * * ?", Command: "bin/cleanup", Service: "web", Concurrency: "Forbid",
			Policies: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}}, // its service's
		{Name: "report", Schedule: "0 4 * * ? *", Command: "bin/report", Service: "worker", Concurrency: "Allow",
			Policies: []string{"arn:aws:iam::123456789012:policy/reports"}},
	}, m.Timers)
	require.Equal(t, "0 4 * * ? *", m.Timers[1].Cron())
}

// TestForms covers the other ways of writing a key.
func TestForms(t *testing.T) {
	m := parse(t, `
services:
  a:
    build: ./a
    command: ""
    scale: 0
    domain: [x.example.org, " ", "y.example.org, z.example.org"]
    resources: db
    agent: false
  b:
    build: {args: [A=1]}
    command: []
    scale: {count: 3, cooldown: 90}
    agent: {enabled: false}
    sticky: "yes"
  c:
    scale: "2"
    health: {}
    nlb: []
    deployment: {maximum: 150}
resources:
  db: {type: redis}
`)
	a := service(t, m, "a")
	require.Equal(t, manifest.Build{Path: "./a", Manifest: "Dockerfile"}, a.Build)
	require.Nil(t, a.Command, "an empty command is the image's")
	require.Equal(t, []string{"x.example.org", "y.example.org", "z.example.org"}, a.Domains)
	require.Equal(t, []string{"db"}, a.Resources, "one string is a list of one")
	require.Equal(t, 0, a.Scale.Max)
	b := service(t, m, "b")
	require.Equal(t, manifest.Build{Path: ".", Manifest: "Dockerfile", Args: []string{"A=1"}}, b.Build)
	require.Nil(t, b.Command)
	require.Equal(t, manifest.Scale{Min: 3, Max: 3, CPU: 256, Memory: 512, Cooldown: manifest.Cooldown{Down: 90, Up: 90}}, b.Scale)
	require.False(t, b.Agent.Enabled)
	require.True(t, b.Sticky)
	c := service(t, m, "c")
	require.Equal(t, 2, c.Scale.Min)
	require.Equal(t, manifest.Health{Path: "/", Interval: 5, Timeout: 4, Grace: 5}, c.Health)
	require.Empty(t, c.NLB)
	require.Equal(t, manifest.Deployment{Minimum: 50, Maximum: 150}, c.Deployment)
}

func TestInterpolation(t *testing.T) {
	data := []byte("services:\n  web:\n    image: ${IMAGE}:${TAG}\n    port: ${PORT}\n    domain: ${HOST}\n")
	m, err := manifest.Load(data, map[string]string{"IMAGE": "nginx", "TAG": "1.27", "PORT": "8080", "HOST": "web.example.org"})
	require.NoError(t, err)
	web := service(t, m, "web")
	require.Equal(t, "nginx:1.27", web.Image)
	require.Equal(t, 8080, web.Port.Port)
	require.Equal(t, []string{"web.example.org"}, web.Domains)

	// A name the environment lacks becomes nothing, as in Convox.
	m, err = manifest.Load([]byte("services:\n  web:\n    image: nginx${TAG}\n    test: make ${BAR} test\n"), nil)
	require.NoError(t, err)
	web = service(t, m, "web")
	require.Equal(t, "nginx", web.Image)
	require.Equal(t, "make  test", web.Test)

	// Parse leaves the text as it is.
	m = parse(t, "services:\n  web:\n    image: nginx:${TAG}\n")
	require.Equal(t, "nginx:${TAG}", service(t, m, "web").Image)
}

func TestMergeKeys(t *testing.T) {
	m := parse(t, `
services:
  web: &web
    build: .
    port: 3000
    scale: 2
  worker:
    <<: *web
    port: 4000
  proxy: &proxy
    image: ubuntu:24.04
    command: bash
    health: /auth
  inherit:
    "<<": [*proxy]
    command: inherit
`)
	w := service(t, m, "worker")
	require.Equal(t, manifest.Port{Scheme: "http", Port: 4000}, w.Port, "an explicit key wins over a merged one")
	require.Equal(t, 2, w.Scale.Min)
	i := service(t, m, "inherit")
	require.Equal(t, "ubuntu:24.04", i.Image)
	require.Equal(t, "/auth", i.Health.Path)
	require.Equal(t, []string{"sh", "-c", "inherit"}, i.Command)
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, errs string }{
		{"empty", "", "the manifest is empty"},
		{"not yaml", "services: [", "line 1: did not find expected node content"},
		{"not a mapping", "foo", `"foo": a mapping of names and values`},
		{"no services", "environment: [A]", "services: no services: an app needs at least one"},
		{"misspelt top key", "servicess:\n  web: {}", "servicess: unknown key (did you mean \"services\"?)\nservices: no services: an app needs at least one"},
		{"unknown top key", "x-base: {}\nservices:\n  web: {}", "x-base: unknown key (known: environment, params, resources, services, timers)"},
		{"services not a mapping", "services: [web]", `services: a list: a mapping of names and values`},
		{"every error at once", `
services:
  Web:
    prot: 3000
  api:
    port: abc
    health: {interval: 5, timeout: 9}
    scale: {count: 5-2, cpu: lots}
    image: x
    build: .
    environment: ["1BAD"]
    sticky: maybe
timers:
  t:
    schedule: "* *"
    service: nope
`, `services.Web: "Web" is not a name: lowercase letters, digits and hyphens, starting with a letter
services.Web.prot: unknown key (did you mean "port"?)
services.api: both build and image: a service is built or pulled, not both
services.api.port: "abc" is not a port: a number from 1 to 65535, or scheme:port
services.api.health.timeout: 9: shorter than the interval (5)
services.api.scale.count: "5-2": the maximum is below the minimum
services.api.scale.cpu: "lots" is not a whole number
services.api.environment[0]: "1BAD" is not NAME, NAME=default or *
services.api.sticky: "maybe" is not true or false
timers.t: no command
timers.t.schedule: "* *" is not a cron schedule: 5 or 6 fields
timers.t.service: no service nope in this manifest`},
		{"name with underscore", "services:\n  web_with_underscore:\n    build: .", `services.web_with_underscore: "web_with_underscore" is not a name: lowercase letters, digits and hyphens, starting with a letter`},
		{"port scheme", "services:\n  web:\n    port: ftp:21", `services.web.port: "ftp:21": the scheme is http or https`},
		{"port range", "services:\n  web:\n    port: 70000", `services.web.port: "70000" is not a port: a number from 1 to 65535, or scheme:port`},
		{"port mapping", "services:\n  web:\n    port: {scheme: https}", `services.web.port: no port`},
		{"port mapping scheme", "services:\n  web:\n    port: {port: 80, scheme: ftp}", `services.web.port.scheme: "ftp" is not http or https`},
		{"command of lists", "services:\n  web:\n    command: [[a]]", `services.web.command[0]: a list: a string`},
		{"command mapping", "services:\n  web:\n    command: {a: b}", `services.web.command: a mapping: a string`},
		{"build list", "services:\n  web:\n    build: [a]", `services.web.build: a list: a mapping of names and values`},
		{"build key", "services:\n  web:\n    build: {paht: a}", `services.web.build.paht: unknown key (did you mean "path"?)`},
		{"health path", "services:\n  web:\n    health: health", `services.web.health: "health" is not a path: it starts with /`},
		{"health bounds", "services:\n  web:\n    health: {interval: 1000, timeout: 1, grace: -1}", `services.web.health.interval: 1000: between 5 and 300
services.web.health.timeout: 1: between 2 and 120
services.web.health.grace: -1: between 0 and 3600`},
		{"scale count", "services:\n  web:\n    scale: many", `services.web.scale: "many" is not a count: a number, or min-max`},
		{"scale negative", "services:\n  web:\n    scale: -1", `services.web.scale: "-1" is not a count: a number, or min-max`},
		{"scale count mapping", "services:\n  web:\n    scale: {count: {min: 2}}", `services.web.scale.count: a count is n, min-max, or {min, max} with both`},
		{"scale count mapping order", "services:\n  web:\n    scale: {count: {min: 3, max: 1}}", `services.web.scale.count: "3-1": the maximum is below the minimum`},
		{"scale memory", "services:\n  web:\n    scale: {memory: 0}", `services.web.scale.memory: 0: between 1 and 122880`},
		{"scale key", "services:\n  web:\n    scale: {counts: 2}", `services.web.scale.counts: unknown key (did you mean "count"?)`},
		{"cooldown", "services:\n  web:\n    scale: {cooldown: {down: x, sideways: 1}}", `services.web.scale.cooldown.sideways: unknown key (known: down, up)
services.web.scale.cooldown.down: "x" is not a whole number`},
		{"targets", "services:\n  web:\n    scale: {count: 1-3, targets: {cpu: 150, memory: 0, requests: x, disk: 5}}", `services.web.scale.targets.disk: unknown key (known: cpu, custom, memory, requests)
services.web.scale.targets.cpu: 150: between 1 and 100
services.web.scale.targets.memory: 0: between 1 and 100
services.web.scale.targets.requests: "x" is not a whole number`},
		{"custom metric", `
services:
  web:
    scale:
      targets:
        custom:
          Queue: {aggregate: median, value: -1}
          AWS/SQS/Depth: {value: lots, dimensions: [a]}
          AWS/X/Y: {aggregate: sum}
`, `services.web.scale.targets.custom.AWS/SQS/Depth: no aggregate
services.web.scale.targets.custom.AWS/SQS/Depth.value: "lots" is not a number
services.web.scale.targets.custom.AWS/SQS/Depth.dimensions: a list: a mapping of names and values
services.web.scale.targets.custom.AWS/X/Y: no value
services.web.scale.targets.custom.Queue: a metric is named Namespace/Name, as AWS/SQS/ApproximateNumberOfMessagesVisible
services.web.scale.targets.custom.Queue.aggregate: "median" is not avg, max, min or sum
services.web.scale.targets.custom.Queue.value: -1: above zero`},
		{"deployment", "services:\n  web:\n    deployment: {minimum: 150, maximum: 65}", `services.web.deployment.minimum: 150: between 0 and 100
services.web.deployment.maximum: 65: between 100 and 200`},
		{"termination", "services:\n  web:\n    termination: {grace: 4000, graceful: 1}", `services.web.termination.graceful: unknown key (did you mean "grace"?)
services.web.termination.grace: 4000: between 0 and 3600`},
		{"drain", "services:\n  web:\n    drain: forever", `services.web.drain: "forever" is not a whole number`},
		{"environment", "services:\n  web:\n    environment: {A: b}", `services.web.environment: a mapping: a list of strings`},
		{"domain", "services:\n  web:\n    domain: {a: b}", `services.web.domain: a mapping: a list of strings`},
		{"unknown resource", "services:\n  web:\n    resources: [db, cache]\nresources:\n  db: {type: postgres}", `services.web.resources[1]: no resource cache in this manifest`},
		{"unknown link", "services:\n  web:\n    links: [api]", `services.web.links[0]: no service api in this manifest`},
		{"volume path", "services:\n  web:\n    volumes: [data, 'a:b']", `services.web.volumes[0]: "data" is not a volume: /path, or source:/path in the container
services.web.volumes[1]: "a:b" is not a volume: /path, or source:/path in the container`},
		{"volume of a database", "services:\n  web:\n    volumes: ['db:/data']\nresources:\n  db: {type: postgres}", `services.web.volumes[0]: resource db is postgres: only an efs resource mounts as a volume`},
		{"policy", "services:\n  web:\n    policies: [AdministratorAccess, [x]]", `services.web.policies[1]: a list: a string
services.web.policies[0]: "AdministratorAccess" is not an IAM policy ARN (arn:...)`},
		{"tags", "services:\n  web:\n    tags: {aws:owner: me, team: [a]}", `services.web.tags.team: a list: a string
services.web.tags.aws:owner: the aws: prefix is AWS's own`},
		{"test", "services:\n  web:\n    test: [make, test]", `services.web.test: a list: a string`},
		{"booleans", "services:\n  web:\n    init: 2\n    privileged: maybe\n    internal: [true]", `services.web.init: "2" is not true or false
services.web.internal: a list: a string
services.web.privileged: "maybe" is not true or false`},
		{"agent", "services:\n  web:\n    agent: sometimes", `services.web.agent: "sometimes" is not true or false`},
		{"agent ports", "services:\n  web:\n    agent: {ports: [5000/sctp, 0, x, [1]]}", `services.web.agent.ports[0]: "5000/sctp" is not an agent port: a number from 1 to 65535, then /tcp (the default) or /udp
services.web.agent.ports[1]: "0" is not an agent port: a number from 1 to 65535, then /tcp (the default) or /udp
services.web.agent.ports[2]: "x" is not an agent port: a number from 1 to 65535, then /tcp (the default) or /udp
services.web.agent.ports[3]: a list: a string`},
		{"agent ports disabled", "services:\n  web:\n    agent: {enabled: false, ports: [5000]}", `services.web.agent.ports: ports of an agent that is not enabled`},
		{"agent ports not a list", "services:\n  web:\n    agent: {ports: 5000}", `services.web.agent.ports: "5000": a list`},
		{"agent with nlb", "services:\n  web:\n    agent: {enabled: true}\n    nlb:\n      - port: 8443", `services.web.nlb: an agent has no nlb ports`},
		{"singleton scaled", "services:\n  web:\n    singleton: true\n    scale: 1-3", `services.web.singleton: a singleton runs at most one instance, and its scale goes up to 3`},
		{"resource type", "services:\n  web: {}\nresources:\n  db: {options: {}}", `resources.db: no type`},
		{"resource empty", "services:\n  web: {}\nresources:\n  db:", `resources.db: no type`},
		{"resource blank type", "services:\n  web: {}\nresources:\n  db: {type: ''}", `resources.db: no type`},
		{"resource unknown type", "services:\n  web: {}\nresources:\n  db: {type: postgress}", `resources.db.type: "postgress" is not a resource type (did you mean "postgres"?)`},
		{"resource keys", "services:\n  web: {}\nresources:\n  Db: {type: s3, option: {}, tags: {'': x}}", `resources.Db: "Db" is not a name: lowercase letters, digits and hyphens, starting with a letter
resources.Db.option: unknown key (did you mean "options"?)
resources.Db.type: "s3" is not a resource type (known: efs, mariadb, memcached, mysql, postgres, redis, valkey)
resources.Db.tags: a tag's key is 1 to 128 characters`},
		{"resource options", "services:\n  web: {}\nresources:\n  db: {type: mysql, options: [a]}", `resources.db.options: a list: a mapping of names and values`},
		{"params", "params: [a]\nservices:\n  web: {}", `params: a list: a mapping of names and values`},
		{"timer keys", "services:\n  web: {}\ntimers:\n  t: {schedule: '* * * * *', command: c, service: web, concurrency: sometimes, policy: []}", `timers.t.policy: unknown key (did you mean "policies"?)
timers.t.concurrency: "sometimes" is not Allow, Forbid or Replace`},
		{"timer policies", "services:\n  web: {}\ntimers:\n  T: {schedule: '* * * * *', command: [c], service: web, policies: [x]}", `timers.T: "T" is not a name: lowercase letters, digits and hyphens, starting with a letter
timers.T.command: a list: a string
timers.T.policies[0]: "x" is not an IAM policy ARN (arn:...)`},
		{"timer empty", "services:\n  web: {}\ntimers:\n  t:", "timers.t: no command\ntimers.t: no schedule\ntimers.t: no service"},
		{"nlb port", "services:\n  api:\n    nlb:\n      - port: 0\n      - port: 65536\n      - containerPort: 80\n      - 8080", `services.api.nlb[0].port: 0: between 1 and 65535
services.api.nlb[1].port: 65536: between 1 and 65535
services.api.nlb[2]: no port
services.api.nlb[3]: "8080": a mapping of names and values`},
		{"nlb protocol", "services:\n  api:\n    nlb:\n      - {port: 8443, protocol: udp}\n      - {port: 8444, protocol: tcp_udp}", `services.api.nlb[0].protocol: "udp" is not tcp or tls
services.api.nlb[1].protocol: "tcp_udp" is not tcp or tls`},
		{"nlb scheme", "services:\n  api:\n    nlb:\n      - {port: 8443, scheme: bogus}", `services.api.nlb[0].scheme: "bogus" is not public or internal`},
		{"nlb duplicate port", "services:\n  api:\n    nlb:\n      - port: 8443\n      - port: 8443", `services.api.nlb[1].port: 8443 again: each nlb port once`},
		{"nlb conflicting container port", "services:\n  api:\n    nlb:\n      - {port: 8443, containerPort: 3000}\n      - {port: 8443, containerPort: 4000}", `services.api.nlb[1].port: 8443 again, to container port 4000 where it went to 3000`},
		{"nlb shared container port", "services:\n  api:\n    nlb:\n      - {port: 8080, containerPort: 443}\n      - {port: 9090, containerPort: 443}", `services.api.nlb[1].containerPort: 443 is the container port of another nlb port`},
		{"nlb port of two services", "services:\n  api:\n    nlb: [{port: 8443}]\n  web:\n    nlb: [{port: 8443}]", `services.web.nlb[0].port: 8443 is also an nlb port of service api: the rack's nlb forwards a port to one service`},
		{"nlb tls without certificate", "services:\n  api:\n    nlb:\n      - {port: 443, protocol: tls}", `services.api.nlb[0]: protocol tls needs a certificate: an ACM certificate's ARN (convox certs list shows them)`},
		{"nlb tcp with certificate", "services:\n  api:\n    nlb:\n      - {port: 443, certificate: 'arn:aws:acm:us-east-1:123456789012:certificate/abc'}", `services.api.nlb[0].certificate: only with protocol tls`},
		{"nlb certificate not an arn", "services:\n  api:\n    nlb:\n      - {port: 443, protocol: tls, certificate: cert-short-id}", `services.api.nlb[0].certificate: "cert-short-id" is not an ACM certificate's ARN, nor an IAM server certificate's`},
		{"nlb bad protocol before certificate", "services:\n  api:\n    nlb:\n      - {port: 443, protocol: udp, certificate: 'arn:aws:acm:us-east-1:123456789012:certificate/abc'}", `services.api.nlb[0].protocol: "udp" is not tcp or tls`},
		{"nlb allow_cidr", "services:\n  api:\n    nlb:\n      - {port: 443, allow_cidr: [not-a-cidr, '2001:db8::/32', 10.0.0.1/16, 10.0.0.0/24, 10.0.0.0/24, 10.1.0.0]}", `services.api.nlb[0].allow_cidr[0]: "not-a-cidr" is not an IPv4 CIDR block, as 10.0.0.0/16
services.api.nlb[0].allow_cidr[1]: "2001:db8::/32" is not an IPv4 CIDR block, as 10.0.0.0/16
services.api.nlb[0].allow_cidr[2]: "10.0.0.1/16": write it 10.0.0.0/16
services.api.nlb[0].allow_cidr[4]: 10.0.0.0/24 again
services.api.nlb[0].allow_cidr[5]: "10.1.0.0" is not an IPv4 CIDR block, as 10.0.0.0/16`},
		{"nlb flags", "services:\n  api:\n    nlb:\n      - {port: 443, cross_zone: sometimes, preserve_client_ip: [x], crossZone: true}", `services.api.nlb[0].crossZone: unknown key (did you mean "cross_zone"?)
services.api.nlb[0].cross_zone: "sometimes" is not true or false
services.api.nlb[0].preserve_client_ip: a list: a string`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := manifest.Parse([]byte(c.yaml))
			if c.errs == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			es, ok := manifest.IsErrors(err)
			require.True(t, ok)
			require.Equal(t, c.errs, es.Error())
			for _, e := range es {
				require.NotEmpty(t, e.Message)
			}
		})
	}
}

func TestAliasExpansionIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &a0 {port: 1}\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "x%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("services:\n  web:\n    <<: *a39\n")
	_, err := manifest.Parse([]byte(b.String()))
	es, ok := manifest.IsErrors(err)
	require.True(t, ok)
	require.Contains(t, es.Error(), "the manifest's aliases and merge keys expand to more than 65536 keys")
}

// TestErrorsAreBounded: lists aliased into many services used to make a
// 4 KB manifest take minutes, with half a million errors. Aliased items
// count toward the bound on keys, and past 200 errors the rest are only
// counted.
func TestErrorsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("x: &e [" + strings.Repeat("1a,", 300) + "]\n")
	b.WriteString("y: &s {environment: *e, links: *e, resources: *e, volumes: *e, policies: *e}\nservices:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "  s%d: *s\n", i)
	}
	_, err := manifest.Parse([]byte(b.String()))
	es, ok := manifest.IsErrors(err)
	require.True(t, ok)
	require.Len(t, es, 202)
	require.Equal(t, manifest.Error{Message: "the manifest's aliases and merge keys expand to more than 65536 keys"}, es[200])
	require.Regexp(t, `^and \d+ more errors$`, es[201].Message)

	// Fewer errors are all listed.
	_, err = manifest.Parse([]byte("x-: 1\nservices:\n  s: {environment: [" + strings.Repeat("1a,", 199) + "]}"))
	es, _ = manifest.IsErrors(err)
	require.Len(t, es, 200)
}

// FuzzParse: any input, with any value of ${X}, is a manifest or a list of
// errors, each with a message; nothing panics, and a manifest's services
// all have a name, a build or an image, and a sane scale.
func FuzzParse(f *testing.F) {
	f.Add([]byte("services:\n  web:\n    port: ${X}\n"), "3000")
	f.Add([]byte("services:\n  web: &a {build: ., scale: 1-3}\n  b: {<<: *a, image: x}\ntimers:\n  t: {schedule: '* * * * ?', command: c, service: web}\n"), "")
	f.Add([]byte("a: &a [*a]\n"), "}")
	f.Add([]byte("services:\n  web:\n    scale: {count: ${X}, targets: {cpu: 50, custom: {A/B: {aggregate: max, value: 1}}}}\n    agent: {ports: [5000/udp]}\n"), "1-4")
	f.Add([]byte("resources:\n  f: {type: efs}\nservices:\n  web:\n    volumes: ['f:/x']\n    nlb: [{port: ${X}, protocol: tls, allow_cidr: [10.0.0.0/8]}]\n"), "443")
	f.Fuzz(func(t *testing.T, data []byte, x string) {
		m, err := manifest.Load(data, map[string]string{"X": x})
		if err != nil {
			es, ok := manifest.IsErrors(err)
			require.True(t, ok, "%T", err)
			require.NotEmpty(t, es)
			for _, e := range es {
				require.NotEmpty(t, e.Message)
			}
			return
		}
		require.NotEmpty(t, m.Services)
		for _, s := range m.Services {
			require.NotEmpty(t, s.Name)
			require.True(t, (s.Image == "") != (s.Build.Path == ""), "%+v", s)
			require.LessOrEqual(t, s.Scale.Min, s.Scale.Max)
			require.GreaterOrEqual(t, s.Scale.Min, 0)
			for _, p := range s.NLB {
				require.Positive(t, p.Port)
				require.Positive(t, p.ContainerPort)
			}
		}
		for _, tm := range m.Timers {
			require.Contains(t, manifest.Concurrencies, tm.Concurrency)
		}
	})
}
