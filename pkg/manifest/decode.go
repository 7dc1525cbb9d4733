package manifest

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML tree and collects every error with its path.
type decoder struct {
	errs Errors
	// work counts the keys read, merged ones included: aliases and merge
	// keys can make a small document expand exponentially.
	work int
}

// maxWork bounds the keys a manifest may expand to.
const maxWork = 1 << 16

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, Error{Path: path, Message: fmt.Sprintf(format, args...)})
}

// The keys each mapping knows. Keys Convox knows and Rack does not use
// yet are accepted and ignored, so a Convox manifest still reads.
var (
	topKeys     = []string{"environment", "params", "resources", "services", "timers"}
	serviceKeys = []string{
		"agent", "build", "command", "deployment", "domain", "drain", "environment", "health", "image",
		"init", "internal", "internalAndExternal", "links", "nlb", "policies", "port", "privileged",
		"resources", "scale", "singleton", "sticky", "tags", "termination", "test", "volumes",
	}
	buildKeys       = []string{"args", "manifest", "path"}
	healthKeys      = []string{"grace", "interval", "path", "timeout"}
	scaleKeys       = []string{"cooldown", "count", "cpu", "memory", "targets"}
	deploymentKeys  = []string{"maximum", "minimum"}
	terminationKeys = []string{"grace"}
	agentKeys       = []string{"enabled", "ports"}
	timerKeys       = []string{"command", "concurrency", "policies", "schedule", "service"}
	resourceKeys    = []string{"options", "type"}
)

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (d *decoder) manifest(doc *yaml.Node) Manifest {
	m := Manifest{Params: map[string]string{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.fail("", "the manifest is empty")
		return m
	}
	top := d.mapping(doc.Content[0], "", topKeys)
	if top == nil {
		return m
	}
	if n, ok := top["environment"]; ok {
		m.Environment = d.environment(n, "environment")
	}
	if n, ok := top["params"]; ok {
		for k, v := range d.mapping(n, "params", nil) {
			m.Params[k] = d.str(v, "params."+k)
		}
	}
	if n, ok := top["resources"]; ok {
		resources := d.mapping(n, "resources", nil)
		for _, name := range sortedKeys(resources) {
			path := "resources." + name
			d.name(name, path)
			r := d.mapping(resources[name], path, resourceKeys)
			if r != nil {
				if _, ok := r["type"]; !ok {
					d.fail(path, "no type")
				}
			}
		}
	}
	services := map[string]*yaml.Node{}
	if n, ok := top["services"]; ok {
		services = d.mapping(n, "services", nil)
		for _, name := range sortedKeys(services) {
			m.Services = append(m.Services, d.service(name, services[name]))
		}
	}
	if len(m.Services) == 0 && !d.failed("services") {
		d.fail("services", "no services: an app needs at least one")
	}
	if n, ok := top["timers"]; ok {
		timers := d.mapping(n, "timers", nil)
		for _, name := range sortedKeys(timers) {
			m.Timers = append(m.Timers, d.timer(name, timers[name], services))
		}
	}
	return m
}

// failed says whether an error was already reported at path.
func (d *decoder) failed(path string) bool {
	return slices.ContainsFunc(d.errs, func(e Error) bool { return e.Path == path })
}

func (d *decoder) service(name string, n *yaml.Node) Service {
	path := "services." + name
	s := Service{Name: name, Sticky: true, Drain: DefaultDrain, Termination: DefaultTermination}
	d.name(name, path)
	keys := d.mapping(n, path, serviceKeys)
	if keys == nil && n.Tag != "!!null" {
		return s
	}
	at := func(k string) string { return path + "." + k }
	if v, ok := keys["build"]; ok {
		s.Build = d.build(v, at("build"))
	}
	if v, ok := keys["image"]; ok {
		s.Image = d.str(v, at("image"))
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
	if v, ok := keys["command"]; ok {
		s.Command = d.str(v, at("command"))
	}
	if v, ok := keys["port"]; ok {
		s.Port = d.port(v, at("port"))
	}
	s.Health = d.health(keys["health"], at("health"))
	s.Scale = d.scale(keys["scale"], at("scale"))
	if v, ok := keys["domain"]; ok {
		for _, dom := range d.strings(v, at("domain")) {
			for _, part := range strings.Split(dom, ",") {
				if part = strings.TrimSpace(part); part != "" {
					s.Domains = append(s.Domains, part)
				}
			}
		}
	}
	if v, ok := keys["environment"]; ok {
		s.Environment = d.environment(v, at("environment"))
	}
	if v, ok := keys["resources"]; ok {
		s.Resources = d.strings(v, at("resources"))
	}
	for _, f := range []struct {
		key  string
		into *bool
	}{{"internal", &s.Internal}, {"singleton", &s.Singleton}, {"sticky", &s.Sticky}} {
		if v, ok := keys[f.key]; ok {
			*f.into = d.boolean(v, at(f.key))
		}
	}
	if v, ok := keys["agent"]; ok {
		if v.Kind == yaml.MappingNode {
			if e, ok := d.mapping(v, at("agent"), agentKeys)["enabled"]; ok {
				s.Agent = d.boolean(e, at("agent.enabled"))
			}
		} else {
			s.Agent = d.boolean(v, at("agent"))
		}
	}
	if v, ok := keys["drain"]; ok {
		s.Drain = d.integer(v, at("drain"), 0, 3600)
	}
	s.Deployment = Deployment{Minimum: 50, Maximum: 200}
	if s.Agent || s.Singleton {
		s.Deployment = Deployment{Minimum: 0, Maximum: 100}
	}
	if v, ok := keys["deployment"]; ok {
		dep := d.mapping(v, at("deployment"), deploymentKeys)
		if x, ok := dep["minimum"]; ok {
			s.Deployment.Minimum = d.integer(x, at("deployment.minimum"), 0, 100)
		}
		if x, ok := dep["maximum"]; ok {
			s.Deployment.Maximum = d.integer(x, at("deployment.maximum"), 100, 200)
		}
	}
	if v, ok := keys["termination"]; ok {
		if g, ok := d.mapping(v, at("termination"), terminationKeys)["grace"]; ok {
			s.Termination = d.integer(g, at("termination.grace"), 0, 3600)
		}
	}
	return s
}

func (d *decoder) build(n *yaml.Node, path string) Build {
	if n.Kind == yaml.ScalarNode {
		return Build{Path: d.str(n, path)}
	}
	var b Build
	keys := d.mapping(n, path, buildKeys)
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

// port reads 3000 or "https:8443".
func (d *decoder) port(n *yaml.Node, path string) Port {
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
	switch {
	case n == nil:
	case n.Kind == yaml.ScalarNode:
		if p := d.str(n, path); p != "" {
			h.Path = p
		}
	default:
		keys := d.mapping(n, path, healthKeys)
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

// scale reads a count, or {count: n | min-max, cpu, memory, ...}.
func (d *decoder) scale(n *yaml.Node, path string) Scale {
	s := Scale{Min: 1, Max: 1, CPU: DefaultCPU, Memory: DefaultMemory}
	switch {
	case n == nil:
		return s
	case n.Kind == yaml.ScalarNode:
		s.Min, s.Max = d.count(n, path)
		return s
	}
	keys := d.mapping(n, path, scaleKeys)
	if v, ok := keys["count"]; ok {
		s.Min, s.Max = d.count(v, path+".count")
	}
	if v, ok := keys["cpu"]; ok {
		s.CPU = d.integer(v, path+".cpu", 1, 16384)
	}
	if v, ok := keys["memory"]; ok {
		s.Memory = d.integer(v, path+".memory", 1, 122880)
	}
	return s
}

// count reads n or min-max.
func (d *decoder) count(n *yaml.Node, path string) (int, int) {
	raw := d.str(n, path)
	lo, hi, ranged := strings.Cut(raw, "-")
	min, err1 := strconv.Atoi(strings.TrimSpace(lo))
	max, err2 := min, error(nil)
	if ranged {
		max, err2 = strconv.Atoi(strings.TrimSpace(hi))
	}
	switch {
	case err1 != nil || err2 != nil || min < 0:
		d.fail(path, "%q is not a count: a number, or min-max", raw)
		return 1, 1
	case max < min:
		d.fail(path, "%q: the maximum is below the minimum", raw)
		return 1, 1
	}
	return min, max
}

func (d *decoder) timer(name string, n *yaml.Node, services map[string]*yaml.Node) Timer {
	path := "timers." + name
	d.name(name, path)
	t := Timer{Name: name}
	keys := d.mapping(n, path, timerKeys)
	if keys == nil {
		return t
	}
	for _, f := range []struct {
		key  string
		into *string
	}{{"command", &t.Command}, {"schedule", &t.Schedule}, {"service", &t.Service}} {
		v, ok := keys[f.key]
		if !ok {
			d.fail(path, "no %s", f.key)
			continue
		}
		*f.into = d.str(v, path+"."+f.key)
	}
	if t.Schedule != "" {
		if f := len(strings.Fields(t.Schedule)); f != 5 && f != 6 {
			d.fail(path+".schedule", "%q is not a cron schedule: 5 or 6 fields", t.Schedule)
		}
	}
	if _, ok := services[t.Service]; t.Service != "" && !ok {
		d.fail(path+".service", "no service %s in this manifest", t.Service)
	}
	return t
}

// environment reads a list of NAME or NAME=default.
func (d *decoder) environment(n *yaml.Node, path string) []string {
	vars := d.strings(n, path)
	for i, v := range vars {
		name, _, _ := strings.Cut(v, "=")
		if !envNamePattern.MatchString(name) {
			d.fail(fmt.Sprintf("%s[%d]", path, i), "%q is not NAME or NAME=default", v)
		}
	}
	return vars
}

func (d *decoder) name(name, path string) {
	if !namePattern.MatchString(name) {
		d.fail(path, "%q is not a name: lowercase letters, digits and hyphens, starting with a letter", name)
	}
}

// mapping reads a mapping (merge keys merged in, explicit keys first); a
// key not in known is an error that suggests the nearest one. A nil known
// allows any key.
func (d *decoder) mapping(n *yaml.Node, path string, known []string) map[string]*yaml.Node {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return map[string]*yaml.Node{}
	}
	if n.Kind != yaml.MappingNode {
		d.fail(path, "%s: a mapping of names and values", describe(n))
		return nil
	}
	d.work += len(n.Content) / 2
	if d.work > maxWork {
		if !d.failed("") {
			d.fail("", "the manifest's aliases and merge keys expand to more than %d keys", maxWork)
		}
		return nil
	}
	out := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key := k.Value
		if known != nil && !slices.Contains(known, key) {
			d.fail(join(path, key), "unknown key%s", suggest(key, known))
			continue
		}
		out[key] = v
	}
	for _, m := range merges {
		m = resolve(m)
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			for k, v := range d.mapping(src, path, known) {
				if _, set := out[k]; !set {
					out[k] = v
				}
			}
		}
	}
	return out
}

func (d *decoder) str(n *yaml.Node, path string) string {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.fail(path, "%s: a string", describe(n))
		return ""
	}
	return n.Value
}

// strings reads a list of strings, or one string as a list of one.
func (d *decoder) strings(n *yaml.Node, path string) []string {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(path, "%s: a list of strings", describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		out = append(out, d.str(item, fmt.Sprintf("%s[%d]", path, i)))
	}
	return out
}

func (d *decoder) integer(n *yaml.Node, path string, min, max int) int {
	raw := d.str(n, path)
	v, err := strconv.Atoi(raw)
	switch {
	case raw == "" && d.failed(path):
	case err != nil:
		d.fail(path, "%q is not a whole number", raw)
	case v < min || v > max:
		d.fail(path, "%d: between %d and %d", v, min, max)
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, path string) bool {
	raw := d.str(n, path)
	switch strings.ToLower(raw) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off", "":
		return false
	}
	d.fail(path, "%q is not true or false", raw)
	return false
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 100; depth++ {
		n = n.Alias
	}
	return n
}

// describe names what a node is, for errors.
func describe(n *yaml.Node) string {
	switch {
	case n == nil || n.Tag == "!!null":
		return "empty"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]*yaml.Node) []string { return slices.Sorted(maps.Keys(m)) }

// suggest names the known key nearest to key, when one is near.
func suggest(key string, known []string) string {
	best, dist := "", len(key)/2+2
	for _, k := range known {
		if d := distance(strings.ToLower(key), strings.ToLower(k)); d < dist {
			best, dist = k, d
		}
	}
	if best == "" {
		return " (known: " + strings.Join(known, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
