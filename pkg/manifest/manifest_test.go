package manifest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/manifest"
)

func TestDefaults(t *testing.T) {
	m, err := manifest.Parse([]byte("services:\n  web:\n    port: 3000\n  worker:\n    image: redis:7\n"))
	require.NoError(t, err)
	require.Equal(t, []manifest.Service{
		{
			Name: "web", Build: manifest.Build{Path: ".", Manifest: "Dockerfile"}, Port: manifest.Port{Scheme: "http", Port: 3000},
			Health: manifest.Health{Path: "/", Interval: 5, Timeout: 4, Grace: 5}, Scale: manifest.Scale{Min: 1, Max: 1, CPU: 256, Memory: 512},
			Sticky: true, Drain: 30, Deployment: manifest.Deployment{Minimum: 50, Maximum: 200}, Termination: 30,
		},
		{
			Name: "worker", Image: "redis:7",
			Health: manifest.Health{Path: "/", Interval: 5, Timeout: 4, Grace: 5}, Scale: manifest.Scale{Min: 1, Max: 1, CPU: 256, Memory: 512},
			Sticky: true, Drain: 30, Deployment: manifest.Deployment{Minimum: 50, Maximum: 200}, Termination: 30,
		},
	}, m.Services)
	require.Empty(t, m.Timers)
}

func TestEveryKey(t *testing.T) {
	m, err := manifest.Parse([]byte(`
environment:
  - SECRET
  - MODE=production
params:
  Foo: bar
resources:
  db:
    type: postgres
services:
  web:
    build: {path: api, manifest: Dockerfile.prod, args: [GO_VERSION=1.26]}
    command: bin/web
    port: https:8443
    environment: &env [PORT=3000]
    health: {path: /health, interval: 10, timeout: 3, grace: 30}
    scale: {count: 2-4, cpu: 512, memory: 1024}
    domain: a.example.org, b.example.org
    resources: [db]
    internal: true
    sticky: false
    drain: 5
    deployment: {minimum: 0, maximum: 100}
    termination: {grace: 45}
  agent:
    build: agent
    agent: {enabled: true}
    environment: *env
    health: /ping
    scale: 3
timers:
  cleanup:
    schedule: "0 3 * * ?"
    command: bin/cleanup
    service: web
`))
	require.NoError(t, err)
	require.Equal(t, []string{"SECRET", "MODE=production"}, m.Environment)
	require.Equal(t, map[string]string{"Foo": "bar"}, m.Params)
	web, ok := m.Service("web")
	require.True(t, ok)
	require.Equal(t, manifest.Service{
		Name: "web", Build: manifest.Build{Path: "api", Manifest: "Dockerfile.prod", Args: []string{"GO_VERSION=1.26"}},
		Command: "bin/web", Port: manifest.Port{Scheme: "https", Port: 8443},
		Health:  manifest.Health{Path: "/health", Interval: 10, Timeout: 3, Grace: 30},
		Scale:   manifest.Scale{Min: 2, Max: 4, CPU: 512, Memory: 1024},
		Domains: []string{"a.example.org", "b.example.org"}, Environment: []string{"PORT=3000"}, Resources: []string{"db"},
		Internal: true, Sticky: false, Drain: 5, Deployment: manifest.Deployment{Minimum: 0, Maximum: 100}, Termination: 45,
	}, web)
	agent, _ := m.Service("agent")
	require.True(t, agent.Agent)
	require.Equal(t, manifest.Deployment{Minimum: 0, Maximum: 100}, agent.Deployment, "an agent runs one per instance")
	require.Equal(t, manifest.Health{Path: "/ping", Interval: 5, Timeout: 4, Grace: 5}, agent.Health)
	require.Equal(t, manifest.Scale{Min: 3, Max: 3, CPU: 256, Memory: 512}, agent.Scale)
	require.Equal(t, []string{"PORT=3000"}, agent.Environment, "an alias reads as its anchor")
	require.Equal(t, []manifest.Timer{{Name: "cleanup", Schedule: "0 3 * * ?", Command: "bin/cleanup", Service: "web"}}, m.Timers)
}

func TestInterpolation(t *testing.T) {
	data := []byte("services:\n  web:\n    image: ${IMAGE}:${TAG}\n    port: ${PORT}\n    domain: ${HOST}\n")
	m, err := manifest.Load(data, map[string]string{"IMAGE": "nginx", "TAG": "1.27", "PORT": "8080", "HOST": "web.example.org"})
	require.NoError(t, err)
	web, _ := m.Service("web")
	require.Equal(t, "nginx:1.27", web.Image)
	require.Equal(t, 8080, web.Port.Port)
	require.Equal(t, []string{"web.example.org"}, web.Domains)

	// A name the environment lacks becomes nothing, as in Convox.
	m, err = manifest.Load([]byte("services:\n  web:\n    image: nginx${TAG}\n"), nil)
	require.NoError(t, err)
	web, _ = m.Service("web")
	require.Equal(t, "nginx", web.Image)

	// Parse leaves the text as it is.
	m, err = manifest.Parse([]byte("services:\n  web:\n    image: nginx:${TAG}\n"))
	require.NoError(t, err)
	web, _ = m.Service("web")
	require.Equal(t, "nginx:${TAG}", web.Image)
}

func TestMergeKeys(t *testing.T) {
	m, err := manifest.Parse([]byte(`
services:
  web: &web
    build: .
    port: 3000
    scale: 2
  worker:
    <<: *web
    port: 4000
`))
	require.NoError(t, err)
	w, _ := m.Service("worker")
	require.Equal(t, manifest.Port{Scheme: "http", Port: 4000}, w.Port, "an explicit key wins over a merged one")
	require.Equal(t, 2, w.Scale.Min)
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, errs string }{
		{"empty", "", "the manifest is empty"},
		{"not yaml", "services: [", "line 1: did not find expected node content"},
		{"no services", "environment: [A]", "services: no services: an app needs at least one"},
		{"unknown top key", "x-base: {}\nservices:\n  web: {}", "x-base: unknown key (known: environment, params, resources, services, timers)"},
		{"not a mapping", "services: [web]", `services: a list: a mapping of names and values`},
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
services.api.environment[0]: "1BAD" is not NAME or NAME=default
services.api.sticky: "maybe" is not true or false
timers.t: no command
timers.t.schedule: "* *" is not a cron schedule: 5 or 6 fields
timers.t.service: no service nope in this manifest`},
		{"port scheme", "services:\n  web:\n    port: ftp:21", `services.web.port: "ftp:21": the scheme is http or https`},
		{"port range", "services:\n  web:\n    port: 70000", `services.web.port: "70000" is not a port: a number from 1 to 65535, or scheme:port`},
		{"health path", "services:\n  web:\n    health: health", `services.web.health: "health" is not a path: it starts with /`},
		{"deployment", "services:\n  web:\n    deployment: {minimum: 150}", `services.web.deployment.minimum: 150: between 0 and 100`},
		{"resource", "services:\n  web: {}\nresources:\n  db: {options: {}}", `resources.db: no type`},
		{"command list", "services:\n  web:\n    command: [a, b]", `services.web.command: a list: a string`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := manifest.Parse([]byte(c.yaml))
			require.Error(t, err)
			es, ok := manifest.IsErrors(err)
			require.True(t, ok)
			require.Equal(t, c.errs, es.Error())
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

// FuzzParse: any input, with any value of ${X}, is a manifest or a list of errors, each with a
// message; nothing panics, and a manifest's services all have a name, a
// build or an image, and a sane scale.
func FuzzParse(f *testing.F) {
	f.Add([]byte("services:\n  web:\n    port: ${X}\n"), "3000")
	f.Add([]byte("services:\n  web: &a {build: ., scale: 1-3}\n  b: {<<: *a, image: x}\ntimers:\n  t: {schedule: '* * * * ?', command: c, service: web}\n"), "")
	f.Add([]byte("a: &a [*a]\n"), "}")
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
		}
	})
}
