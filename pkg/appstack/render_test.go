package appstack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/examples"
)

// The rack, app and release the goldens are rendered for.
const (
	rackName = "production"
	app      = "shop"
	release  = "RABCDEFGHIJ"
	build    = "BABCDEFGHIJ"
)

// listener is the ARN of a listener of balancer name.
func listener(name, id, listener string) string {
	return "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/" + name + "/" + id + "/" + listener
}

// testRack is a rack on EC2 with a domain and both routers, the external
// one with a certificate, the internal one without.
func testRack() appstack.Rack {
	return appstack.Rack{
		Name:             rackName,
		Cluster:          "production-cluster",
		VPC:              "vpc-0a1b2c3d4e5f60718",
		Subnets:          []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"},
		CapacityProvider: "production-instances",
		Domain:           "production.example.net",
		Router: &appstack.Router{
			HTTP:          listener("production-router", "50dc6c495c0c9188", "f2f7dc8efc522ab2"),
			HTTPS:         listener("production-router", "50dc6c495c0c9188", "0467ef3c8400ae65"),
			InternalHTTP:  listener("production-internal", "7e1a9c3b2d4f6a80", "9a8b7c6d5e4f3a21"),
			SecurityGroup: "sg-0a1b2c3d4e5f60718",
		},
	}
}

// param is the parameter of the app's variable name, as the rack names
// it: after the release that first had its value.
func param(name string) string {
	return "/" + rackName + "/apps/" + app + "/env/" + name + "/" + release
}

// testEnv is the app's environment: by reference, and one empty value.
func testEnv() map[string]string {
	return map[string]string{
		"DATABASE_URL": param("DATABASE_URL"),
		"LOG_LEVEL":    param("LOG_LEVEL"),
		"SECRET_KEY":   param("SECRET_KEY"),
		"FEATURE_FLAG": "",
	}
}

func options(r appstack.Rack) appstack.Options {
	return appstack.Options{Rack: r, App: app, Release: appstack.Release{ID: release, Build: build, Env: testEnv()}}
}

// load reads an example's manifest.
func load(t testing.TB, example string) manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examples.Path(example), examples.Manifest(example)))
	require.NoError(t, err)
	m, err := manifest.Parse(data)
	require.NoError(t, err)
	return m
}

// golden is one golden template: an example rendered with options.
type golden struct {
	name, example string
	options       appstack.Options
}

// goldens are every example on an EC2 rack, and two on Fargate.
func goldens() []golden {
	var out []golden
	for _, e := range examples.Names() {
		out = append(out, golden{e, e, options(testRack())})
	}
	fargate := testRack()
	fargate.Fargate = true
	for _, e := range []string{"web-worker", "two-built"} {
		out = append(out, golden{e + "-fargate", e, options(fargate)})
	}
	return out
}

func render(t testing.TB, m manifest.Manifest, o appstack.Options) []byte {
	t.Helper()
	tpl, err := appstack.Render(m, o)
	require.NoError(t, err)
	data, err := tpl.JSON()
	require.NoError(t, err)
	return data
}

// asData is a template as data, to compare.
func asData(t testing.TB, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

// TestGolden compares each golden's template with testdata/<name>.json,
// as data. UPDATE_GOLDEN=1 rewrites the files; review their diff.
func TestGolden(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			got := render(t, load(t, g.example), g.options)
			file := filepath.Join("testdata", g.name+".json")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				var indented any = asData(t, got)
				out, err := json.MarshalIndent(indented, "", "  ")
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(file, append(out, '\n'), 0o644))
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "no golden template: run UPDATE_GOLDEN=1 go test -run TestGolden ./pkg/appstack")
			require.Equal(t, asData(t, want), asData(t, got),
				"the template changed: run UPDATE_GOLDEN=1 go test -run TestGolden ./pkg/appstack and review the diff")
		})
	}
}

// parse parses a manifest written in a test.
func parse(t testing.TB, yml string) manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(yml))
	require.NoError(t, err)
	return m
}

// rendered is a rendered template, read back as the checks read it.
type rendered struct {
	Resources map[string]struct {
		Type       string
		DependsOn  []string
		Properties map[string]any
	}
	Outputs map[string]struct{ Value any }
}

func renderData(t testing.TB, m manifest.Manifest, o appstack.Options) rendered {
	t.Helper()
	var r rendered
	require.NoError(t, json.Unmarshal(render(t, m, o), &r))
	return r
}

// ofType lists the ids of the resources of type typ, sorted.
func (r rendered) ofType(typ string) []string {
	var ids []string
	for id, res := range r.Resources {
		if res.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// container is the one container of task definition id.
func (r rendered) container(t testing.TB, id string) map[string]any {
	t.Helper()
	res, ok := r.Resources[id]
	require.True(t, ok, "no %s", id)
	defs := res.Properties["ContainerDefinitions"].([]any)
	require.Len(t, defs, 1)
	return defs[0].(map[string]any)
}

// TestGoldensKeepTheCreatedStack: every rendered stack keeps what the
// stack was created with (templates/app.json) as it was: the same
// parameters, the repository and log group under the same ids with the
// same properties, and the same outputs, so an update replaces neither.
func TestGoldensKeepTheCreatedStack(t *testing.T) {
	var created struct {
		Parameters map[string]any
		Resources  map[string]any
		Outputs    map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(appstack.CreateTemplate), &created))
	check := func(t *testing.T, data []byte) {
		var got struct {
			Parameters map[string]any
			Resources  map[string]any
			Outputs    map[string]any
		}
		require.NoError(t, json.Unmarshal(data, &got))
		require.Equal(t, created.Parameters, got.Parameters)
		for id, res := range created.Resources {
			require.Equal(t, res, got.Resources[id], id)
		}
		for id, out := range created.Outputs {
			require.Equal(t, out, got.Outputs[id], id)
		}
	}
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) { check(t, render(t, load(t, g.example), g.options)) })
	}
	t.Run("no services", func(t *testing.T) {
		data := render(t, manifest.Manifest{}, options(testRack()))
		check(t, data)
		require.Len(t, renderData(t, manifest.Manifest{}, options(testRack())).Resources, 2)
	})
}

// TestReferencesResolve: every Ref, Fn::GetAtt and Fn::Sub variable of
// every golden names a parameter, a pseudo parameter or a resource of its
// template, and every DependsOn a resource.
func TestReferencesResolve(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			data := render(t, load(t, g.example), g.options)
			var tpl template
			require.NoError(t, json.Unmarshal(data, &tpl))
			refs, atts := references(tpl)
			for _, ref := range refs {
				_, param := tpl.Parameters[ref]
				_, resource := tpl.Resources[ref]
				require.True(t, param || resource || strings.HasPrefix(ref, "AWS::"), "Ref to %q", ref)
			}
			for _, res := range atts {
				require.Contains(t, tpl.Resources, res)
			}
			for id, res := range renderData(t, load(t, g.example), g.options).Resources {
				for _, d := range res.DependsOn {
					require.Contains(t, tpl.Resources, d, "%s depends on it", id)
				}
			}
		})
	}
}

// TestDeterministic: the same input renders the same bytes.
func TestDeterministic(t *testing.T) {
	for _, g := range goldens() {
		first := render(t, load(t, g.example), g.options)
		for range 5 {
			require.Equal(t, string(first), string(render(t, load(t, g.example), g.options)), g.name)
		}
	}
}

// TestNoEnvValueInTemplate: the environment reaches containers as
// references only. Each variable the release holds is a secret read from
// its parameter; what is plain is a manifest default, an empty value or a
// variable the rack sets; and a value passed where a reference belongs is
// refused without being repeated.
func TestNoEnvValueInTemplate(t *testing.T) {
	m := load(t, "scaled")
	o := options(testRack())
	r := renderData(t, m, o)
	for _, id := range r.ofType("AWS::ECS::TaskDefinition") {
		c := r.container(t, id)
		secrets := map[string]string{}
		for _, s := range c["Secrets"].([]any) {
			s := s.(map[string]any)
			secrets[s["Name"].(string)] = s["ValueFrom"].(string)
		}
		for name, arn := range secrets {
			require.Equal(t, o.Release.Env[name], arn, "%s: %s", id, name)
		}
		for _, e := range c["Environment"].([]any) {
			e := e.(map[string]any)
			name := e["Name"].(string)
			if ref, held := o.Release.Env[name]; held {
				require.Empty(t, ref, "%s: %s is held in a parameter but given plain", id, name)
				require.Equal(t, "", e["Value"], "%s: %s", id, name)
			}
		}
	}
	// api takes all of the environment ("*"); web what it declares.
	require.Len(t, r.container(t, "TaskDefinitionApi")["Secrets"], 3)
	require.Len(t, r.container(t, "TaskDefinitionWeb")["Secrets"], 2)

	const value = "postgres://user:hunter2@db.internal/shop"
	for _, bad := range []string{value, "arn:aws:ssm:us-east-1:123456789012:parameter/other/apps/shop/env/DATABASE_URL/RAAAAAAAAAA", "/" + rackName + "/apps/" + app + "/env/OTHER/" + release, "/" + rackName + "/apps/" + app + "/env/DATABASE_URL/a/b"} {
		o := options(testRack())
		o.Release.Env["DATABASE_URL"] = bad
		_, err := appstack.Render(m, o)
		require.Error(t, err)
		require.Contains(t, err.Error(), "DATABASE_URL")
		require.NotContains(t, err.Error(), "hunter2")
		require.NotEqual(t, rack.EINVALID, rack.ErrorCode(err), "the rack's mistake, not the manifest's")
	}
	text := string(render(t, m, o))
	require.NotContains(t, text, "hunter2")
}

// TestManifestDefaultsArePlain: a variable the release does not hold
// takes its manifest default, in plain text (it is in convox.yml), and
// the rack's variables give way to the app's own.
func TestManifestDefaultsArePlain(t *testing.T) {
	m := parse(t, `
services:
  web:
    build: .
    environment:
      - GREETING=hello
      - RACK=mine
      - DATABASE_URL=sqlite://default
`)
	r := renderData(t, m, options(testRack()))
	c := r.container(t, "TaskDefinitionWeb")
	env := map[string]any{}
	for _, e := range c["Environment"].([]any) {
		e := e.(map[string]any)
		env[e["Name"].(string)] = e["Value"]
	}
	require.Equal(t, "hello", env["GREETING"])
	require.Equal(t, "mine", env["RACK"])
	require.Equal(t, "shop", env["APP"])
	require.Equal(t, "web", env["SERVICE"])
	require.NotContains(t, env, "DATABASE_URL", "the release holds it: a secret")
	require.NotContains(t, env, "PORT", "web has no port")
	require.Equal(t, []any{map[string]any{"Name": "DATABASE_URL", "ValueFrom": param("DATABASE_URL")}}, c["Secrets"])
}

// TestLogicalIDsUnique: services and timers whose names would meet in a
// naive CamelCase (a-b and ab, a-1 and a1) get resources of their own.
func TestLogicalIDsUnique(t *testing.T) {
	m := parse(t, `
services:
  a-b:
    build: .
    port: 3000
  ab:
    build: .
    port: 3000
  a-1:
    build: .
  a1:
    build: .
timers:
  a-b:
    schedule: "0 * * * ?"
    command: x
    service: a1
  ab:
    schedule: "0 * * * ?"
    command: x
    service: a1
`)
	r := renderData(t, m, options(testRack()))
	require.Len(t, r.ofType("AWS::ECS::Service"), 4)
	require.Len(t, r.ofType("AWS::ECS::TaskDefinition"), 6)
	require.Len(t, r.ofType("AWS::ElasticLoadBalancingV2::TargetGroup"), 2)
	require.Len(t, r.ofType("AWS::Scheduler::Schedule"), 2)
	families := map[string]bool{}
	for _, id := range r.ofType("AWS::ECS::TaskDefinition") {
		families[r.Resources[id].Properties["Family"].(string)] = true
	}
	require.Len(t, families, 6)
}

// TestRenderErrors: what the rack cannot run is EINVALID, naming where in
// the manifest; what the rack passed wrong has no code.
func TestRenderErrors(t *testing.T) {
	fargate := testRack()
	fargate.Fargate = true
	noRouter := testRack()
	noRouter.Router = nil
	noInternal := testRack()
	noInternal.Router.InternalHTTP = ""
	noDomain := testRack()
	noDomain.Domain = ""
	for _, c := range []struct {
		name     string
		rack     appstack.Rack
		manifest string
		counts   map[string]int
		want     string
	}{
		{"agent on Fargate", fargate, "services:\n  agent:\n    build: .\n    agent: true\n", nil, "services.agent.agent: "},
		{"privileged on Fargate", fargate, "services:\n  web:\n    build: .\n    privileged: true\n", nil, "services.web.privileged: "},
		{"volume on Fargate", fargate, "services:\n  web:\n    build: .\n    volumes:\n      - /data\n", nil, "services.web.volumes: "},
		{"port with no router", noRouter, "services:\n  web:\n    build: .\n    port: 3000\n", nil, "services.web.port: a service with a port needs the rack's router"},
		{"internal with no internal router", noInternal, "services:\n  web:\n    build: .\n    port: 3000\n    internal: true\n", nil, "services.web: the rack has no internal balancer"},
		{"port with no host", noDomain, "services:\n  web:\n    build: .\n    port: 3000\n", nil, "services.web.domain: no host name"},
		{"bad domain", testRack(), "services:\n  web:\n    build: .\n    port: 3000\n    domain: shop_example.org\n", nil, `services.web.domain: "shop_example.org" is not a host name`},
		{"resources", testRack(), "resources:\n  db:\n    type: postgres\nservices:\n  web:\n    build: .\n    resources: [db]\n", nil, "resources: resources are not supported yet: db"},
		{"nlb", testRack(), "services:\n  web:\n    build: .\n    port: 3000\n    nlb:\n      - port: 5000\n", nil, "services.web.nlb: nlb ports are not supported yet"},
		{"both days", testRack(), "services:\n  web:\n    build: .\ntimers:\n  t:\n    schedule: \"0 0 1 * MON\"\n    command: x\n    service: web\n", nil, "timers.t.schedule: "},
		{"singleton scaled up", testRack(), "services:\n  web:\n    build: .\n    singleton: true\n", map[string]int{"web": 2}, "services.web: a singleton runs at most one instance"},
		{"negative count", testRack(), "services:\n  web:\n    build: .\n", map[string]int{"web": -1}, "services.web: a count of -1"},
		{"link to no port", testRack(), "services:\n  web:\n    build: .\n    links: [worker]\n  worker:\n    build: .\n", nil, "services.web.links: service worker has no port"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := options(c.rack)
			o.Counts = c.counts
			_, err := appstack.Render(parse(t, c.manifest), o)
			require.Error(t, err)
			require.Equal(t, rack.EINVALID, rack.ErrorCode(err), err.Error())
			require.Contains(t, err.Error(), c.want)
		})
	}

	t.Run("every problem at once", func(t *testing.T) {
		_, err := appstack.Render(parse(t, "services:\n  a:\n    build: .\n    agent: true\n  b:\n    build: .\n    privileged: true\n"), options(fargate))
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
		require.Contains(t, err.Error(), "services.a.agent")
		require.Contains(t, err.Error(), "services.b.privileged")
	})

	m := load(t, "web-worker")
	for name, change := range map[string]func(*appstack.Options){
		"no cluster":            func(o *appstack.Options) { o.Rack.Cluster = "" },
		"no app":                func(o *appstack.Options) { o.App = "" },
		"no build":              func(o *appstack.Options) { o.Release.Build = "" },
		"a build id with a ${}": func(o *appstack.Options) { o.Release.Build = "B${AWS::Region}" },
		"Fargate, no subnets":   func(o *appstack.Options) { o.Rack.Fargate, o.Rack.Subnets = true, nil },
		"a listener not a listener": func(o *appstack.Options) {
			o.Rack.Router.HTTPS = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1"
		},
	} {
		t.Run(name, func(t *testing.T) {
			o := options(testRack())
			change(&o)
			_, err := appstack.Render(m, o)
			require.Error(t, err)
			require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err), err.Error())
		})
	}
}

// TestWorkersNeedNoRouter: an app with no port renders on a rack with no
// router, and NeedsRouter says which balancers each example needs.
func TestWorkersNeedNoRouter(t *testing.T) {
	want := map[string][2]bool{
		"build-options": {true, false},
		"image":         {true, true},
		"image-web":     {true, false},
		"nested":        {true, false},
		"scaled":        {true, true},
		"timers":        {false, false},
		"two-built":     {true, false},
		"web-worker":    {true, false},
	}
	for _, e := range examples.Names() {
		ext, in := appstack.NeedsRouter(load(t, e))
		w, ok := want[e]
		require.True(t, ok, "add example %s", e)
		require.Equal(t, w, [2]bool{ext, in}, e)
	}
	noRouter := testRack()
	noRouter.Router = nil
	r := renderData(t, load(t, "timers"), options(noRouter))
	require.Empty(t, r.ofType("AWS::ElasticLoadBalancingV2::ListenerRule"))
	require.Len(t, r.ofType("AWS::Scheduler::Schedule"), 3)

	ext, in := appstack.NeedsRouter(parse(t, "services:\n  a:\n    build: .\n    port: 1\n    internalAndExternal: true\n"))
	require.True(t, ext)
	require.True(t, in)
}

// desiredCount is the desired count of service id, nil for none.
func (r rendered) desiredCount(id string) any { return r.Resources[id].Properties["DesiredCount"] }

// TestCounts: a scaled count overrides the manifest's, and an autoscaled
// service's bounds widen to take it.
func TestCounts(t *testing.T) {
	m := load(t, "scaled")
	r := renderData(t, m, options(testRack()))
	require.Equal(t, 2.0, r.desiredCount("ServiceWeb"), "the manifest's minimum")
	require.Equal(t, 1.0, r.desiredCount("ServiceApi"))

	o := options(testRack())
	o.Counts = map[string]int{"web": 9, "api": 0, "gone": 4}
	r = renderData(t, m, o)
	require.Equal(t, 9.0, r.desiredCount("ServiceWeb"))
	require.Equal(t, 0.0, r.desiredCount("ServiceApi"))
	web := r.Resources["ScalableTargetWeb"].Properties
	require.Equal(t, []any{2.0, 9.0}, []any{web["MinCapacity"], web["MaxCapacity"]})
	api := r.Resources["ScalableTargetApi"].Properties
	require.Equal(t, []any{0.0, 3.0}, []any{api["MinCapacity"], api["MaxCapacity"]})

	agent := parse(t, "services:\n  agent:\n    build: .\n    agent: true\n")
	o.Counts = map[string]int{"agent": 3}
	r = renderData(t, agent, o)
	require.Nil(t, r.desiredCount("ServiceAgent"), "a daemon runs one task per instance")
	require.Equal(t, "DAEMON", r.Resources["ServiceAgent"].Properties["SchedulingStrategy"])
	require.Equal(t, "EC2", r.Resources["ServiceAgent"].Properties["LaunchType"])
	require.NotContains(t, r.Resources["ServiceAgent"].Properties, "CapacityProviderStrategy")
}

// priorities are the listener rule priorities of a template, by rule id.
func (r rendered) priorities() map[string]float64 {
	out := map[string]float64{}
	for _, id := range r.ofType("AWS::ElasticLoadBalancingV2::ListenerRule") {
		out[id] = r.Resources[id].Properties["Priority"].(float64)
	}
	return out
}

// TestPriorities: rule priorities are stable (the same at every render,
// and a service's do not move when another service comes), distinct on a
// listener, and differ between apps.
func TestPriorities(t *testing.T) {
	m := load(t, "scaled")
	r := renderData(t, m, options(testRack()))
	first := r.priorities()
	require.Len(t, first, 4)
	require.Equal(t, first, renderData(t, m, options(testRack())).priorities())

	byListener := map[string][]float64{}
	for id, p := range first {
		l := r.Resources[id].Properties["ListenerArn"].(string)
		require.NotContains(t, byListener[l], p, "priority %v twice on %s", p, l)
		byListener[l] = append(byListener[l], p)
		require.GreaterOrEqual(t, p, 1.0)
		require.LessOrEqual(t, p, 40000.0)
	}

	// web alone has the priority it has beside the others.
	alone := renderData(t, parse(t, "services:\n  web:\n    build: .\n    port: 8080\n"), options(testRack())).priorities()
	require.Equal(t, first["RuleExternalWeb"], alone["RuleExternalWeb"])

	// Another app's web is elsewhere.
	o := options(testRack())
	o.App = "blog"
	o.Release.Env = nil
	require.NotEqual(t, first["RuleExternalWeb"], renderData(t, m, o).priorities()["RuleExternalWeb"])

	// Many hosts: five a rule, exact names before wildcards.
	many := renderData(t, parse(t, `
services:
  web:
    build: .
    port: 8080
    domain: a.example.org,b.example.org,c.example.org,d.example.org,e.example.org,f.example.org,*.example.org
`), options(testRack()))
	p := many.priorities()
	require.Len(t, p, 3)
	require.Less(t, p["RuleExternalWeb"], 40001.0)
	require.Less(t, p["RuleExternal1Web"], 40001.0)
	require.GreaterOrEqual(t, p["RuleExternal2Web"], 40001.0)
	require.ElementsMatch(t, []string{"RuleExternalWeb", "RuleExternal1Web", "RuleExternal2Web"}, many.Resources["ServiceWeb"].DependsOn)
}

// TestServicesWaitForTheirRules: a service behind a balancer is created
// after the rules that route to its target groups, and never reads a
// target group's LoadBalancerArns.
func TestServicesWaitForTheirRules(t *testing.T) {
	for _, g := range goldens() {
		r := renderData(t, load(t, g.example), g.options)
		text := string(render(t, load(t, g.example), g.options))
		require.NotContains(t, text, "LoadBalancerArns", g.name)
		for _, id := range r.ofType("AWS::ECS::Service") {
			lbs, _ := r.Resources[id].Properties["LoadBalancers"].([]any)
			for _, lb := range lbs {
				tg := lb.(map[string]any)["TargetGroupArn"].(map[string]any)["Ref"].(string)
				var rules []string
				for _, rule := range r.ofType("AWS::ElasticLoadBalancingV2::ListenerRule") {
					action := r.Resources[rule].Properties["Actions"].([]any)[0].(map[string]any)
					if action["TargetGroupArn"].(map[string]any)["Ref"] == tg {
						rules = append(rules, rule)
					}
				}
				require.NotEmpty(t, rules, "%s: nothing routes to %s", g.name, tg)
				require.Subset(t, r.Resources[id].DependsOn, rules, g.name)
			}
		}
	}
}

// TestTimers: a timer's schedule runs its own task definition on the
// rack's cluster, in EventBridge's cron form, with the role that may run
// it; a timer with policies of its own has its own role.
func TestTimers(t *testing.T) {
	r := renderData(t, load(t, "timers"), options(testRack()))
	crons := map[string]any{}
	for _, id := range r.ofType("AWS::Scheduler::Schedule") {
		crons[id] = r.Resources[id].Properties["ScheduleExpression"]
	}
	require.Equal(t, map[string]any{
		"ScheduleNightly":       "cron(0 3 * * ? *)",
		"ScheduleQuarterHourly": "cron(*/15 * * * ? *)",
		"ScheduleWeekly":        "cron(30 6 ? * MON *)",
	}, crons)
	target := r.Resources["ScheduleNightly"].Properties["Target"].(map[string]any)
	require.Equal(t, map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/production-cluster"}, target["Arn"])
	ecs := target["EcsParameters"].(map[string]any)
	require.Equal(t, map[string]any{"Ref": "TimerTaskDefinitionNightly"}, ecs["TaskDefinitionArn"])
	require.Equal(t, []any{map[string]any{"CapacityProvider": "production-instances", "Weight": 1.0}}, ecs["CapacityProviderStrategy"])

	c := r.container(t, "TimerTaskDefinitionNightly")
	require.Equal(t, []any{"sh", "-c", "python jobs.py report"}, c["Command"])
	require.Equal(t, "nightly", c["Name"])
	require.Equal(t, map[string]any{"Fn::GetAtt": []any{"TaskRoleJobs", "Arn"}}, r.Resources["TimerTaskDefinitionNightly"].Properties["TaskRoleArn"])
	require.Equal(t, map[string]any{"Fn::GetAtt": []any{"TimerTaskRoleWeekly", "Arn"}}, r.Resources["TimerTaskDefinitionWeekly"].Properties["TaskRoleArn"])

	fargate := testRack()
	fargate.Fargate = true
	r = renderData(t, load(t, "two-built"), options(fargate))
	ecs = r.Resources["ScheduleCleanup"].Properties["Target"].(map[string]any)["EcsParameters"].(map[string]any)
	require.Equal(t, "FARGATE", ecs["LaunchType"])
	network := ecs["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
	require.Equal(t, "ENABLED", network["AssignPublicIp"])
	require.Equal(t, []any{map[string]any{"Ref": "SecurityGroupWorker"}}, network["SecurityGroups"])
}

// TestFargate: on Fargate tasks get their own network and a task size
// Fargate has; services take their port from the router only.
func TestFargate(t *testing.T) {
	fargate := testRack()
	fargate.Fargate = true
	r := renderData(t, load(t, "scaled"), options(fargate))
	td := r.Resources["TaskDefinitionWeb"].Properties
	require.Equal(t, "awsvpc", td["NetworkMode"])
	require.Equal(t, []any{"FARGATE"}, td["RequiresCompatibilities"])
	require.Equal(t, []any{"512", "1024"}, []any{td["Cpu"], td["Memory"]})
	require.NotContains(t, r.container(t, "TaskDefinitionWeb")["PortMappings"].([]any)[0], "HostPort")
	svc := r.Resources["ServiceWeb"].Properties
	require.Equal(t, "FARGATE", svc["LaunchType"])
	require.NotContains(t, svc, "PlacementStrategies")
	require.Equal(t, "ip", r.Resources["TargetGroupExternalWeb"].Properties["TargetType"])
	sg := r.Resources["SecurityGroupWeb"].Properties
	require.Equal(t, []any{map[string]any{
		"Description": "The rack's balancers", "IpProtocol": "tcp", "FromPort": 8080.0, "ToPort": 8080.0,
		"SourceSecurityGroupId": "sg-0a1b2c3d4e5f60718",
	}}, sg["SecurityGroupIngress"])
}

// TestTemplateSizes prints each golden's size, compact as UpdateStack
// takes it, and what each of its services and timers adds: the resources
// and outputs whose ids end in its name
// (go test -v -run TestTemplateSizes ./pkg/appstack).
func TestTemplateSizes(t *testing.T) {
	for _, g := range goldens() {
		m := load(t, g.example)
		data := render(t, m, g.options)
		require.LessOrEqual(t, len(data), appstack.MaxBodySize, g.name)
		var doc struct{ Resources, Outputs map[string]json.RawMessage }
		require.NoError(t, json.Unmarshal(data, &doc))
		var parts []string
		size := func(kind, name string) {
			suffix := ""
			for part := range strings.SplitSeq(name, "-") {
				suffix += strings.ToUpper(part[:1]) + part[1:]
			}
			n := 0
			for _, section := range []map[string]json.RawMessage{doc.Resources, doc.Outputs} {
				for id, raw := range section {
					if strings.HasSuffix(id, suffix) {
						n += len(id) + len(raw) + 4
					}
				}
			}
			parts = append(parts, fmt.Sprintf("%s %s %d", kind, name, n))
		}
		for _, s := range m.Services {
			size("service", s.Name)
		}
		for _, tm := range m.Timers {
			size("timer", tm.Name)
		}
		t.Logf("%-19s %6d bytes: %s", g.name, len(data), strings.Join(parts, ", "))
	}
}
