package appstack

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// maxName is the longest service or timer name an app stack takes: a
// service's name is a label of its host name.
const maxName = 63

var (
	// releaseID is a release's or build's id as an image tag holds it.
	releaseID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$`) })
	// hostName is what an ALB host-header condition matches.
	hostName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9*?.-]{1,128}$`) })
)

// checkOptions checks what the rack passes: a mistake there is the rack's,
// not the manifest's, so its error has no code.
func checkOptions(o Options) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("render the stack of app %s: "+format, append([]any{o.App}, args...)...)
	}
	rk := o.Rack
	switch {
	case rack.ValidateAppName(o.App) != nil:
		return fail("not an app name")
	case rk.Name == "" || rk.Cluster == "":
		return fail("the rack's name and cluster are required")
	case !releaseID().MatchString(o.Release.ID) || !releaseID().MatchString(o.Release.Build):
		return fail("release %q of build %q: not ids", o.Release.ID, o.Release.Build)
	case rk.Fargate && (rk.VPC == "" || len(rk.Subnets) == 0):
		return fail("a rack on Fargate needs its VPC and subnets")
	}
	if rt := rk.Router; rt != nil {
		for _, l := range []string{rt.HTTP, rt.HTTPS, rt.InternalHTTP, rt.InternalHTTPS} {
			if _, ok := balancerName(l); l != "" && !ok {
				return fail("%q is not an application load balancer's listener", l)
			}
		}
	}
	// An environment variable's value must never reach a template: each
	// is a parameter of the app's, by name (/<rack>/apps/<app>/env/NAME/
	// <release>) or by ARN. The message names the variable, never its
	// value.
	prefix := names.EnvParameterPath(rk.Name, o.App)
	for _, name := range slices.Sorted(maps.Keys(o.Release.Env)) {
		v := o.Release.Env[name]
		if v == "" {
			continue
		}
		param := v
		if strings.HasPrefix(v, "arn:") {
			_, param, _ = strings.Cut(v, ":parameter")
			if !strings.Contains(v, ":ssm:") {
				param = ""
			}
		}
		after, ok := strings.CutPrefix(param, prefix)
		if !ok || !strings.HasPrefix(after, name+"/") || len(after) == len(name)+1 || strings.ContainsAny(after, " \n") ||
			strings.Count(after, "/") != 1 {
			return fail("environment variable %s: not a parameter under %s%s/", name, prefix, name)
		}
	}
	return nil
}

// check lists what in m the rack cannot run, as an EINVALID error.
func check(m manifest.Manifest, o Options) error {
	r := &renderer{m: m, o: o}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(m.Resources) > 0 {
		var rs []string
		for _, x := range m.Resources {
			rs = append(rs, x.Name)
		}
		fail("resources: resources are not supported yet: %s", strings.Join(rs, ", "))
	}
	fargate := o.Rack.Fargate
	for _, s := range m.Services {
		at := "services." + s.Name
		if len(s.Name) > maxName {
			fail("%s: a name of more than %d characters", at, maxName)
		}
		if len(s.NLB) > 0 {
			fail("%s.nlb: nlb ports are not supported yet", at)
		}
		if fargate {
			if s.Agent.Enabled {
				fail("%s.agent: this rack runs services on Fargate, which has no instances for an agent to run on", at)
			}
			if s.Privileged {
				fail("%s.privileged: Fargate runs no privileged containers", at)
			}
			if len(s.Volumes) > 0 {
				fail("%s.volumes: Fargate has no host to mount a volume from", at)
			}
			if _, _, ok := fargateSize(s.Scale.CPU, s.Scale.Memory); !ok {
				fail("%s.scale: Fargate has no task of %d CPU units and %d MiB", at, s.Scale.CPU, s.Scale.Memory)
			}
		}
		if n, ok := o.Counts[s.Name]; ok && !s.Agent.Enabled {
			switch {
			case n < 0:
				fail("%s: a count of %d", at, n)
			case s.Singleton && n > 1:
				fail("%s: a singleton runs at most one instance, not %d", at, n)
			}
		}
		for _, l := range s.Links {
			if linked, _ := m.Service(l); linked.Port.Port == 0 {
				fail("%s.links: service %s has no port to link to", at, l)
			}
		}
		if s.Port.Port > 0 {
			problems = append(problems, r.checkRoute(s)...)
		}
	}
	for _, t := range m.Timers {
		at := "timers." + t.Name
		if len(t.Name) > maxName {
			fail("%s: a name of more than %d characters", at, maxName)
		}
		if _, msg := cronExpression(t); msg != "" {
			fail("%s.schedule: %q: %s", at, t.Schedule, msg)
		}
	}
	return invalid(problems)
}

// checkRoute lists what keeps service s, which has a port, from being
// routed to.
func (r *renderer) checkRoute(s manifest.Service) []string {
	at := "services." + s.Name
	rt := r.o.Rack.Router
	if rt == nil {
		return []string{at + ".port: a service with a port needs the rack's router, and the rack has none yet"}
	}
	var problems []string
	for _, b := range balancers(s) {
		if l, _ := r.listener(b); l == "" {
			problems = append(problems, fmt.Sprintf("%s: the rack has no %s balancer", at, strings.ToLower(b)))
		}
	}
	hosts := r.hosts(s)
	if len(hosts) == 0 {
		problems = append(problems, at+".domain: no host name to route to: the rack has no domain, and the service names none")
	}
	for _, h := range hosts {
		if !hostName().MatchString(h) {
			problems = append(problems, fmt.Sprintf("%s.domain: %q is not a host name", at, h))
		}
	}
	if r.o.Rack.Fargate && rt.SecurityGroup == "" {
		problems = append(problems, at+": the rack's router has no security group to let in")
	}
	if r.o.Rack.VPC == "" {
		problems = append(problems, at+": the rack has no VPC for its target group")
	}
	return problems
}

// invalid is the EINVALID error listing problems, nil for none.
func invalid(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return rack.Errorf(rack.EINVALID, "%s", strings.Join(problems, "\n"))
}

// fargateSizes are the task sizes Fargate runs: CPU units, and the memory
// (MiB) each takes, from, to, by.
var fargateSizes = []struct{ cpu, from, to, step int }{
	{256, 512, 512, 512}, {256, 1024, 2048, 1024},
	{512, 1024, 4096, 1024},
	{1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},
	{4096, 8192, 30720, 1024},
	{8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
}

// fargateSize is the smallest Fargate task size that holds cpu units and
// memory MiB.
func fargateSize(cpu, memory int) (int, int, bool) {
	for _, z := range fargateSizes {
		if z.cpu < cpu || z.to < memory {
			continue
		}
		m := max(z.from, memory)
		if over := (m - z.from) % z.step; over > 0 {
			m += z.step - over
		}
		return z.cpu, m, true
	}
	return 0, 0, false
}

func itoa(i int) string { return strconv.Itoa(i) }
