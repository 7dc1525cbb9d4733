package manifest

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// certificateARN is an ACM certificate's ARN or an IAM server
// certificate's, in any AWS partition.
var certificateARN = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws[-a-z]*:acm:[a-z0-9-]+:\d{12}:certificate/[a-zA-Z0-9-]+$|^arn:aws[-a-z]*:iam::\d{12}:server-certificate/.+$`)
})

// service reads one service, checking what it names against the
// manifest's resources and services.
func (d *decoder) service(name string, n *yaml.Node, resources []Resource, services map[string]*yaml.Node) Service {
	path := "services." + name
	at := func(k string) string { return path + "." + k }
	s := Service{Name: name, Sticky: true, Drain: DefaultDrain, Termination: DefaultTermination}
	d.name(name, path)
	keys := d.fields(n, path, serviceKeys)
	if keys == nil {
		keys = map[string]*yaml.Node{} // not a mapping, and said so: the defaults still apply
	}
	d.source(&s, keys, path)
	if v, ok := keys["command"]; ok {
		s.Command = d.command(v, at("command"))
	}
	if v, ok := keys["port"]; ok {
		s.Port = d.port(v, at("port"))
	}
	s.Health = d.health(keys["health"], at("health"))
	s.Scale = d.scale(keys["scale"], at("scale"))
	if v, ok := keys["domain"]; ok {
		s.Domains = d.domains(v, at("domain"))
	}
	if v, ok := keys["environment"]; ok {
		s.Environment = d.environment(v, at("environment"))
	}
	if v, ok := keys["resources"]; ok {
		s.Resources = d.names(v, at("resources"), "resource", func(r string) bool {
			return slices.ContainsFunc(resources, func(x Resource) bool { return x.Name == r })
		})
	}
	if v, ok := keys["links"]; ok {
		s.Links = d.names(v, at("links"), "service", func(l string) bool { _, ok := services[l]; return ok })
	}
	if v, ok := keys["volumes"]; ok {
		s.Volumes = d.volumes(v, at("volumes"), resources)
	}
	if v, ok := keys["policies"]; ok {
		s.Policies = d.policies(v, at("policies"))
	}
	if v, ok := keys["tags"]; ok {
		s.Tags = d.tags(v, at("tags"))
	}
	if v, ok := keys["test"]; ok {
		s.Test = d.str(v, at("test"))
	}
	for _, f := range []struct {
		key  string
		into *bool
	}{
		{"init", &s.Init}, {"internal", &s.Internal}, {"internalAndExternal", &s.InternalAndExternal},
		{"privileged", &s.Privileged}, {"singleton", &s.Singleton}, {"sticky", &s.Sticky},
	} {
		if v, ok := keys[f.key]; ok {
			*f.into = d.boolean(v, at(f.key))
		}
	}
	s.Internal = s.Internal || s.InternalAndExternal
	if v, ok := keys["agent"]; ok {
		s.Agent = d.agent(v, at("agent"))
	}
	if v, ok := keys["nlb"]; ok {
		s.NLB = d.nlb(v, at("nlb"), name)
		if s.Agent.Enabled && len(s.NLB) > 0 {
			d.fail(at("nlb"), "an agent has no nlb ports")
		}
	}
	if s.Singleton && s.Scale.Max > 1 {
		d.fail(at("singleton"), "a singleton runs at most one instance, and its scale goes up to %d", s.Scale.Max)
	}
	if v, ok := keys["drain"]; ok {
		s.Drain = d.integer(v, at("drain"), 0, 3600)
	}
	s.Deployment = d.deployment(keys["deployment"], at("deployment"), s.Agent.Enabled || s.Singleton)
	if v, ok := keys["termination"]; ok {
		if g, ok := d.fields(v, at("termination"), terminationKeys)["grace"]; ok {
			s.Termination = d.integer(g, at("termination.grace"), 0, 3600)
		}
	}
	return s
}

// source reads build and image: a service is built (from "." unless told)
// or pulled, not both.
func (d *decoder) source(s *Service, keys map[string]*yaml.Node, path string) {
	if v, ok := keys["build"]; ok {
		s.Build = d.build(v, path+".build")
	}
	if v, ok := keys["image"]; ok {
		s.Image = d.str(v, path+".image")
	}
	if s.Image != "" && s.Build.Path != "" {
		d.fail(path, "both build and image: a service is built or pulled, not both")
	}
	if s.Image == "" && s.Build.Path == "" {
		s.Build.Path = "."
	}
	if s.Build.Path != "" && s.Build.Manifest == "" {
		s.Build.Manifest = "Dockerfile"
	}
}

// build reads a path or {path, manifest, args}.
func (d *decoder) build(n *yaml.Node, path string) Build {
	if n = resolve(n); n.Kind == yaml.ScalarNode {
		return Build{Path: d.str(n, path)}
	}
	var b Build
	keys := d.fields(n, path, buildKeys)
	if v, ok := keys["path"]; ok {
		b.Path = d.str(v, path+".path")
	}
	if v, ok := keys["manifest"]; ok {
		b.Manifest = d.str(v, path+".manifest")
	}
	if v, ok := keys["args"]; ok {
		b.Args = d.strings(v, path+".args")
	}
	if b.Path == "" && keys != nil {
		b.Path = "."
	}
	return b
}

// command reads a string, run by a shell, or a list, run as it is.
func (d *decoder) command(n *yaml.Node, path string) []string {
	if n = resolve(n); n.Kind == yaml.SequenceNode {
		if cmd := d.strings(n, path); len(cmd) > 0 {
			return cmd
		}
		return nil
	}
	if c := d.str(n, path); c != "" {
		return []string{"sh", "-c", c}
	}
	return nil
}

// port reads 3000, "https:8443", or {port, scheme}.
func (d *decoder) port(n *yaml.Node, path string) Port {
	if n = resolve(n); n.Kind != yaml.MappingNode {
		return d.portSpec(n, path)
	}
	keys := d.fields(n, path, portKeys)
	v, ok := keys["port"]
	if !ok {
		if keys != nil {
			d.fail(path, "no port")
		}
		return Port{}
	}
	p := d.portSpec(v, path+".port")
	if v, ok := keys["scheme"]; ok && p.Port != 0 {
		p.Scheme = d.oneOf(v, path+".scheme", []string{"http", "https"})
	}
	return p
}

// portSpec reads 3000 or "https:8443".
func (d *decoder) portSpec(n *yaml.Node, path string) Port {
	raw := d.str(n, path)
	if raw == "" {
		return Port{}
	}
	p := Port{Scheme: "http"}
	number := raw
	if scheme, rest, ok := strings.Cut(raw, ":"); ok {
		p.Scheme, number = scheme, rest
		if scheme != "http" && scheme != "https" {
			d.fail(path, "%q: the scheme is http or https", raw)
			return Port{}
		}
	}
	v, err := strconv.Atoi(number)
	if err != nil || v < 1 || v > 65535 {
		d.fail(path, "%q is not a port: a number from 1 to 65535, or scheme:port", raw)
		return Port{}
	}
	p.Port = v
	return p
}

// health reads a path, or {path, interval, timeout, grace}, with Convox's
// defaults: interval 5, timeout one less, grace the interval.
func (d *decoder) health(n *yaml.Node, path string) Health {
	h := Health{Path: DefaultHealthPath, Interval: DefaultHealthInterval}
	timeout, grace := 0, 0
	switch n = resolve(n); {
	case n == nil:
	case n.Kind == yaml.ScalarNode:
		if p := d.str(n, path); p != "" {
			h.Path = p
		}
	default:
		keys := d.fields(n, path, healthKeys)
		if v, ok := keys["path"]; ok {
			h.Path = d.str(v, path+".path")
		}
		if v, ok := keys["interval"]; ok {
			h.Interval = d.integer(v, path+".interval", 5, 300)
		}
		if v, ok := keys["timeout"]; ok {
			timeout = d.integer(v, path+".timeout", 2, 120)
		}
		if v, ok := keys["grace"]; ok {
			grace = d.integer(v, path+".grace", 0, 3600)
		}
	}
	h.Timeout, h.Grace = cmp.Or(timeout, h.Interval-1), cmp.Or(grace, h.Interval)
	if h.Timeout >= h.Interval {
		d.fail(path+".timeout", "%d: shorter than the interval (%d)", h.Timeout, h.Interval)
	}
	if !strings.HasPrefix(h.Path, "/") {
		d.fail(path, "%q is not a path: it starts with /", h.Path)
	}
	return h
}

// scale reads a count, or {count, cpu, memory, cooldown, targets}.
func (d *decoder) scale(n *yaml.Node, path string) Scale {
	s := Scale{Min: 1, Max: 1, CPU: DefaultCPU, Memory: DefaultMemory, Cooldown: Cooldown{DefaultCooldown, DefaultCooldown}}
	switch n = resolve(n); {
	case n == nil:
		return s
	case n.Kind == yaml.ScalarNode:
		s.Min, s.Max = d.count(n, path)
		return s
	}
	keys := d.fields(n, path, scaleKeys)
	if v, ok := keys["count"]; ok {
		s.Min, s.Max = d.count(v, path+".count")
	}
	if v, ok := keys["cpu"]; ok {
		s.CPU = d.integer(v, path+".cpu", 1, 16384)
	}
	if v, ok := keys["memory"]; ok {
		s.Memory = d.integer(v, path+".memory", 1, 122880)
	}
	if v, ok := keys["cooldown"]; ok {
		s.Cooldown = d.cooldown(v, path+".cooldown")
	}
	if v, ok := keys["targets"]; ok {
		s.Targets = d.targets(v, path+".targets")
	}
	return s
}

// count reads n, min-max, or {min, max}.
func (d *decoder) count(n *yaml.Node, path string) (int, int) {
	if n = resolve(n); n.Kind == yaml.MappingNode {
		keys := d.fields(n, path, countKeys)
		lo, ok1 := keys["min"]
		hi, ok2 := keys["max"]
		if !ok1 || !ok2 {
			if keys != nil {
				d.fail(path, "a count is n, min-max, or {min, max} with both")
			}
			return 1, 1
		}
		errs := len(d.errs)
		min, max := d.integer(lo, path+".min", 0, math.MaxInt32), d.integer(hi, path+".max", 0, math.MaxInt32)
		if len(d.errs) > errs {
			return 1, 1
		}
		return d.bounds(min, max, path, fmt.Sprintf("%d-%d", min, max))
	}
	raw := d.str(n, path)
	lo, hi, ranged := strings.Cut(raw, "-")
	min, err1 := strconv.Atoi(strings.TrimSpace(lo))
	max, err2 := min, error(nil)
	if ranged {
		max, err2 = strconv.Atoi(strings.TrimSpace(hi))
	}
	if err1 != nil || err2 != nil || min < 0 || max > math.MaxInt32 {
		if !d.failed[path] {
			d.fail(path, "%q is not a count: a number, or min-max", raw)
		}
		return 1, 1
	}
	return d.bounds(min, max, path, raw)
}

func (d *decoder) bounds(min, max int, path, raw string) (int, int) {
	if max < min {
		d.fail(path, "%q: the maximum is below the minimum", raw)
		return 1, 1
	}
	return min, max
}

// cooldown reads seconds for both ways, or {down, up}; a way not given
// keeps the default.
func (d *decoder) cooldown(n *yaml.Node, path string) Cooldown {
	if n = resolve(n); n.Kind != yaml.MappingNode {
		v := d.integer(n, path, 0, 86400)
		return Cooldown{Down: v, Up: v}
	}
	c := Cooldown{DefaultCooldown, DefaultCooldown}
	keys := d.fields(n, path, cooldownKeys)
	if v, ok := keys["down"]; ok {
		c.Down = d.integer(v, path+".down", 0, 86400)
	}
	if v, ok := keys["up"]; ok {
		c.Up = d.integer(v, path+".up", 0, 86400)
	}
	return c
}

// targets reads {cpu, memory, requests, custom}.
func (d *decoder) targets(n *yaml.Node, path string) Targets {
	var t Targets
	keys := d.fields(n, path, targetKeys)
	if v, ok := keys["cpu"]; ok {
		t.CPU = d.integer(v, path+".cpu", 1, 100)
	}
	if v, ok := keys["memory"]; ok {
		t.Memory = d.integer(v, path+".memory", 1, 100)
	}
	if v, ok := keys["requests"]; ok {
		t.Requests = d.integer(v, path+".requests", 1, math.MaxInt32)
	}
	if v, ok := keys["custom"]; ok {
		metrics := d.mapping(v, path+".custom", nil)
		for _, name := range sortedKeys(metrics) {
			t.Custom = append(t.Custom, d.metric(name, metrics[name], path+".custom."+name))
		}
	}
	return t
}

// metric reads Namespace/Name: {aggregate, value, dimensions}.
func (d *decoder) metric(key string, n *yaml.Node, path string) Metric {
	var m Metric
	if i := strings.LastIndex(key, "/"); i > 0 && i < len(key)-1 {
		m.Namespace, m.Name = key[:i], key[i+1:]
	} else {
		d.fail(path, "a metric is named Namespace/Name, as AWS/SQS/ApproximateNumberOfMessagesVisible")
	}
	keys := d.fields(n, path, metricKeys)
	if keys == nil {
		return m
	}
	if v, ok := keys["aggregate"]; ok {
		m.Aggregate = d.oneOf(v, path+".aggregate", slices.Sorted(maps.Keys(statistics)))
	} else {
		d.fail(path, "no aggregate")
	}
	if v, ok := keys["value"]; ok {
		m.Value = d.positive(v, path+".value")
	} else {
		d.fail(path, "no value")
	}
	if v, ok := keys["dimensions"]; ok {
		m.Dimensions = d.stringMap(v, path+".dimensions")
	}
	return m
}

// domains reads a list of domains, or one string of them separated by
// commas.
func (d *decoder) domains(n *yaml.Node, path string) []string {
	var out []string
	for _, dom := range d.strings(n, path) {
		for part := range strings.SplitSeq(dom, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// names reads a list of names of things of kind that exists says are in
// the manifest.
func (d *decoder) names(n *yaml.Node, path, kind string, exists func(string) bool) []string {
	names := d.strings(n, path)
	for i, name := range names {
		if at := fmt.Sprintf("%s[%d]", path, i); !d.failed[at] && !exists(name) {
			d.fail(at, "no %s %s in this manifest", kind, name)
		}
	}
	return names
}

// volumes reads a list of /path or source:/path.
func (d *decoder) volumes(n *yaml.Node, path string, resources []Resource) []Volume {
	var out []Volume
	for i, raw := range d.strings(n, path) {
		at := fmt.Sprintf("%s[%d]", path, i)
		v := Volume{Path: raw}
		if src, dst, ok := strings.Cut(raw, ":"); ok {
			v = Volume{Source: src, Path: dst}
		}
		if !strings.HasPrefix(v.Path, "/") {
			if !d.failed[at] {
				d.fail(at, "%q is not a volume: /path, or source:/path in the container", raw)
			}
			continue
		}
		if i := slices.IndexFunc(resources, func(r Resource) bool { return r.Name == v.Source }); i >= 0 && resources[i].Type != "efs" {
			d.fail(at, "resource %s is %s: only an efs resource mounts as a volume", v.Source, resources[i].Type)
		}
		out = append(out, v)
	}
	return out
}

// agent reads true or false, or {enabled, ports}: a mapping is an agent
// unless it says enabled: false.
func (d *decoder) agent(n *yaml.Node, path string) Agent {
	if n = resolve(n); n.Kind != yaml.MappingNode {
		return Agent{Enabled: d.boolean(n, path)}
	}
	a := Agent{Enabled: true}
	keys := d.fields(n, path, agentKeys)
	if v, ok := keys["enabled"]; ok {
		a.Enabled = d.boolean(v, path+".enabled")
	}
	if v, ok := keys["ports"]; ok {
		for i, p := range d.list(v, path+".ports") {
			if port, ok := d.agentPort(p, fmt.Sprintf("%s.ports[%d]", path, i)); ok {
				a.Ports = append(a.Ports, port)
			}
		}
		if !a.Enabled && len(a.Ports) > 0 {
			d.fail(path+".ports", "ports of an agent that is not enabled")
		}
	}
	return a
}

// agentPort reads 5000, "5000/tcp" or "5000/udp".
func (d *decoder) agentPort(n *yaml.Node, path string) (AgentPort, bool) {
	raw := d.str(n, path)
	number, protocol, _ := strings.Cut(raw, "/")
	p := AgentPort{Protocol: cmp.Or(strings.ToLower(protocol), "tcp")}
	v, err := strconv.Atoi(number)
	if err != nil || v < 1 || v > 65535 || (p.Protocol != "tcp" && p.Protocol != "udp") {
		if !d.failed[path] {
			d.fail(path, "%q is not an agent port: a number from 1 to 65535, then /tcp (the default) or /udp", raw)
		}
		return AgentPort{}, false
	}
	p.Port = v
	return p, true
}

// nlb reads a list of the network load balancer's ports. A port is one
// service's across the app, and within it goes to one container port.
func (d *decoder) nlb(n *yaml.Node, path, service string) []NLBPort {
	var out []NLBPort
	targets := map[int]int{} // port: container port
	taken := map[int]bool{}  // container ports
	for i, item := range d.list(n, path) {
		at := fmt.Sprintf("%s[%d]", path, i)
		p, ok := d.nlbPort(item, at)
		if !ok {
			continue
		}
		switch cp, dup := targets[p.Port]; {
		case dup && cp != p.ContainerPort:
			d.fail(at+".port", "%d again, to container port %d where it went to %d", p.Port, p.ContainerPort, cp)
		case dup:
			d.fail(at+".port", "%d again: each nlb port once", p.Port)
		case taken[p.ContainerPort]:
			d.fail(at+".containerPort", "%d is the container port of another nlb port", p.ContainerPort)
		default:
			if owner, shared := d.nlbOwners[p.Port]; shared && owner != service {
				d.fail(at+".port", "%d is also an nlb port of service %s: the rack's nlb forwards a port to one service", p.Port, owner)
			}
			d.nlbOwners[p.Port] = cmp.Or(d.nlbOwners[p.Port], service)
		}
		targets[p.Port], taken[p.ContainerPort] = p.ContainerPort, true
		out = append(out, p)
	}
	return out
}

// nlbPort reads {port, containerPort, protocol, scheme, certificate,
// cross_zone, allow_cidr, preserve_client_ip}; false when it is wrong.
func (d *decoder) nlbPort(n *yaml.Node, path string) (NLBPort, bool) {
	p := NLBPort{Protocol: "tcp", Scheme: "public"}
	keys := d.fields(n, path, nlbKeys)
	if keys == nil {
		return p, false
	}
	errs := len(d.errs)
	v, ok := keys["port"]
	if !ok {
		d.fail(path, "no port")
		return p, false
	}
	p.Port = d.integer(v, path+".port", 1, 65535)
	p.ContainerPort = p.Port
	if v, ok := keys["containerPort"]; ok {
		p.ContainerPort = d.integer(v, path+".containerPort", 1, 65535)
	}
	if v, ok := keys["protocol"]; ok {
		p.Protocol = d.oneOf(v, path+".protocol", []string{"tcp", "tls"})
	}
	if v, ok := keys["scheme"]; ok {
		p.Scheme = d.oneOf(v, path+".scheme", []string{"public", "internal"})
	}
	if v, ok := keys["certificate"]; ok {
		p.Certificate = d.str(v, path+".certificate")
	}
	switch {
	case p.Protocol == "":
	case p.Protocol == "tls" && p.Certificate == "":
		d.fail(path, "protocol tls needs a certificate: an ACM certificate's ARN (convox certs list shows them)")
	case p.Protocol == "tcp" && p.Certificate != "":
		d.fail(path+".certificate", "only with protocol tls")
	case p.Certificate != "" && !certificateARN().MatchString(p.Certificate):
		d.fail(path+".certificate", "%q is not an ACM certificate's ARN, nor an IAM server certificate's", p.Certificate)
	}
	if v, ok := keys["cross_zone"]; ok {
		p.CrossZone = d.optional(v, path+".cross_zone")
	}
	if v, ok := keys["preserve_client_ip"]; ok {
		p.PreserveClientIP = d.optional(v, path+".preserve_client_ip")
	}
	if v, ok := keys["allow_cidr"]; ok {
		p.AllowCIDR = d.cidrs(v, path+".allow_cidr")
	}
	return p, len(d.errs) == errs
}

// cidrs reads a list of distinct IPv4 CIDR blocks, each as Go writes it.
func (d *decoder) cidrs(n *yaml.Node, path string) []string {
	blocks := d.strings(n, path)
	seen := map[string]bool{}
	for i, c := range blocks {
		at := fmt.Sprintf("%s[%d]", path, i)
		ip, block, err := net.ParseCIDR(c)
		switch {
		case d.failed[at]:
		case err != nil || ip.To4() == nil:
			d.fail(at, "%q is not an IPv4 CIDR block, as 10.0.0.0/16", c)
		case block.String() != c:
			d.fail(at, "%q: write it %s", c, block)
		case seen[c]:
			d.fail(at, "%s again", c)
		}
		seen[c] = true
	}
	return blocks
}

// deployment reads {minimum, maximum}, with Convox's defaults: 50 and 200
// percent, or 0 and 100 for an agent or a singleton, which never runs two.
func (d *decoder) deployment(n *yaml.Node, path string, one bool) Deployment {
	dep := Deployment{Minimum: 50, Maximum: 200}
	if one {
		dep = Deployment{Minimum: 0, Maximum: 100}
	}
	if n == nil {
		return dep
	}
	keys := d.fields(n, path, deploymentKeys)
	if x, ok := keys["minimum"]; ok {
		dep.Minimum = d.integer(x, path+".minimum", 0, 100)
	}
	if x, ok := keys["maximum"]; ok {
		dep.Maximum = d.integer(x, path+".maximum", 100, 200)
	}
	return dep
}
