package manifest

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML tree and collects every error with its path.
type decoder struct {
	errs   Errors
	failed map[string]bool // the paths of errors, even those not kept
	more   int             // errors past maxErrors, counted and not kept
	// work counts the keys and items read, merged and aliased ones
	// included: aliases and merge keys can make a small document expand
	// exponentially.
	work int
	// nlbOwners are the services of the nlb ports read so far: a port is
	// one service's.
	nlbOwners map[int]string
}

// maxWork bounds the keys and items a manifest may expand to; maxErrors
// the errors listed, the rest only counted.
const (
	maxWork   = 1 << 16
	maxErrors = 200
)

func newDecoder() *decoder {
	return &decoder{failed: map[string]bool{}, nlbOwners: map[int]string{}}
}

func (d *decoder) fail(path, format string, args ...any) {
	d.failed[path] = true
	if len(d.errs) >= maxErrors {
		d.more++
		return
	}
	d.errs = append(d.errs, Error{Path: path, Message: fmt.Sprintf(format, args...)})
}

// errors are the errors found, the last saying how many more there were.
func (d *decoder) errors() Errors {
	if d.more > 0 {
		return append(d.errs, Error{Message: fmt.Sprintf("and %d more errors", d.more)})
	}
	return d.errs
}

// spend counts n keys or items read, and says whether the manifest is
// still within maxWork.
func (d *decoder) spend(n int) bool {
	d.work += n
	if d.work <= maxWork {
		return true
	}
	if !d.failed[overflow] {
		d.failed[overflow] = true
		d.errs = append(d.errs, Error{Message: fmt.Sprintf("the manifest's aliases and merge keys expand to more than %d keys", maxWork)})
	}
	return false
}

// overflow is the path under which spend notes its error: none a
// manifest has.
const overflow = "\x00"

// The keys each mapping knows: those of Convox's generation 2 manifest.
var (
	topKeys     = []string{"environment", "params", "resources", "services", "timers"}
	serviceKeys = []string{
		"agent", "build", "command", "deployment", "domain", "drain", "environment", "health", "image",
		"init", "internal", "internalAndExternal", "links", "nlb", "policies", "port", "privileged",
		"resources", "scale", "singleton", "sticky", "tags", "termination", "test", "volumes",
	}
	buildKeys       = []string{"args", "manifest", "path"}
	portKeys        = []string{"port", "scheme"}
	healthKeys      = []string{"grace", "interval", "path", "timeout"}
	scaleKeys       = []string{"cooldown", "count", "cpu", "memory", "targets"}
	countKeys       = []string{"max", "min"}
	cooldownKeys    = []string{"down", "up"}
	targetKeys      = []string{"cpu", "custom", "memory", "requests"}
	metricKeys      = []string{"aggregate", "dimensions", "value"}
	deploymentKeys  = []string{"maximum", "minimum"}
	terminationKeys = []string{"grace"}
	agentKeys       = []string{"enabled", "ports"}
	nlbKeys         = []string{"allow_cidr", "certificate", "containerPort", "cross_zone", "port", "preserve_client_ip", "protocol", "scheme"}
	timerKeys       = []string{"command", "concurrency", "policies", "schedule", "service"}
	resourceKeys    = []string{"options", "tags", "type"}
)

var (
	namePattern    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9-]*$`) })
	envNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
)

func (d *decoder) manifest(doc *yaml.Node) Manifest {
	m := Manifest{Params: map[string]string{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.fail("", "the manifest is empty")
		return m
	}
	top := d.fields(doc.Content[0], "", topKeys)
	if top == nil {
		return m
	}
	if n, ok := top["environment"]; ok {
		m.Environment = d.environment(n, "environment")
	}
	if n, ok := top["params"]; ok {
		m.Params = d.stringMap(n, "params")
	}
	if n, ok := top["resources"]; ok {
		resources := d.mapping(n, "resources", nil)
		for _, name := range sortedKeys(resources) {
			m.Resources = append(m.Resources, d.resource(name, resources[name]))
		}
	}
	services := map[string]*yaml.Node{}
	if n, ok := top["services"]; ok {
		services = d.mapping(n, "services", nil)
		for _, name := range sortedKeys(services) {
			m.Services = append(m.Services, d.service(name, services[name], m.Resources, services))
		}
	}
	if len(m.Services) == 0 && !d.failed["services"] {
		d.fail("services", "no services: an app needs at least one")
	}
	if n, ok := top["timers"]; ok {
		timers := d.mapping(n, "timers", nil)
		for _, name := range sortedKeys(timers) {
			m.Timers = append(m.Timers, d.timer(name, timers[name], m))
		}
	}
	return m
}

// resource reads {type, options, tags}; the type is one Convox knows.
func (d *decoder) resource(name string, n *yaml.Node) Resource {
	path := "resources." + name
	d.name(name, path)
	r := Resource{Name: name}
	keys := d.fields(n, path, resourceKeys)
	if keys == nil {
		return r
	}
	if v, ok := keys["type"]; ok {
		r.Type = d.str(v, path+".type")
		if strings.TrimSpace(r.Type) == "" && !d.failed[path+".type"] {
			d.fail(path, "no type")
		} else if r.Type != "" && !slices.Contains(ResourceTypes, r.Type) {
			d.fail(path+".type", "%q is not a resource type%s", r.Type, suggest(r.Type, ResourceTypes))
		}
	} else {
		d.fail(path, "no type")
	}
	if v, ok := keys["options"]; ok {
		r.Options = d.stringMap(v, path+".options")
	}
	if v, ok := keys["tags"]; ok {
		r.Tags = d.tags(v, path+".tags")
	}
	return r
}

func (d *decoder) timer(name string, n *yaml.Node, m Manifest) Timer {
	path := "timers." + name
	d.name(name, path)
	t := Timer{Name: name, Concurrency: DefaultConcurrency}
	keys := d.fields(n, path, timerKeys)
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
	if v, ok := keys["concurrency"]; ok {
		t.Concurrency = d.oneOf(v, path+".concurrency", Concurrencies)
	}
	s, ok := m.Service(t.Service)
	if t.Service != "" && !ok {
		d.fail(path+".service", "no service %s in this manifest", t.Service)
	}
	t.Policies = s.Policies
	if v, ok := keys["policies"]; ok {
		t.Policies = d.policies(v, path+".policies")
	}
	return t
}

// environment reads a list of NAME, NAME=default, or * (all of the app's
// environment).
func (d *decoder) environment(n *yaml.Node, path string) []string {
	vars := d.strings(n, path)
	for i, v := range vars {
		name, _, _ := strings.Cut(v, "=")
		if v != "*" && !envNamePattern().MatchString(name) {
			d.fail(fmt.Sprintf("%s[%d]", path, i), "%q is not NAME, NAME=default or *", v)
		}
	}
	return vars
}

func (d *decoder) name(name, path string) {
	if !namePattern().MatchString(name) {
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
	if !d.spend(len(n.Content) / 2) {
		return nil
	}
	out := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Tag == "!!merge" || k.Kind == yaml.ScalarNode && k.Value == "<<" {
			// Convox's YAML reads a quoted "<<" as a merge key too.
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

// fields reads a mapping of known keys, as mapping does, leaving out the
// keys whose value is empty: Convox reads "key:" with nothing as no key.
func (d *decoder) fields(n *yaml.Node, path string, known []string) map[string]*yaml.Node {
	keys := d.mapping(n, path, known)
	for k, v := range keys {
		if v := resolve(v); v == nil || v.Tag == "!!null" {
			delete(keys, k)
		}
	}
	return keys
}

// stringMap reads a mapping of names to strings.
func (d *decoder) stringMap(n *yaml.Node, path string) map[string]string {
	out := map[string]string{}
	for k, v := range d.mapping(n, path, nil) {
		out[k] = d.str(v, join(path, k))
	}
	return out
}

// tags reads AWS tags: keys of 1 to 128 characters, not starting with the
// reserved aws:, and values of up to 256.
func (d *decoder) tags(n *yaml.Node, path string) map[string]string {
	tags := d.stringMap(n, path)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		switch at := join(path, k); {
		case k == "" || len(k) > 128:
			d.fail(path, "a tag's key is 1 to 128 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			d.fail(at, "the aws: prefix is AWS's own")
		case len(tags[k]) > 256:
			d.fail(at, "a tag's value is at most 256 characters")
		}
	}
	return tags
}

// policies reads a list of IAM policy ARNs.
func (d *decoder) policies(n *yaml.Node, path string) []string {
	arns := d.strings(n, path)
	for i, a := range arns {
		if at := fmt.Sprintf("%s[%d]", path, i); !d.failed[at] && !strings.HasPrefix(a, "arn:") {
			d.fail(at, "%q is not an IAM policy ARN (arn:...)", a)
		}
	}
	return arns
}

// oneOf reads one of values, in any case, and returns it as values spells
// it; "" when it is none of them.
func (d *decoder) oneOf(n *yaml.Node, path string, values []string) string {
	raw := d.str(n, path)
	i := slices.IndexFunc(values, func(v string) bool { return strings.EqualFold(v, strings.TrimSpace(raw)) })
	if i < 0 {
		if !d.failed[path] {
			d.fail(path, "%q is not %s", raw, orList(values))
		}
		return ""
	}
	return values[i]
}

// orList writes values as "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
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
	if !d.spend(len(n.Content)) {
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		out = append(out, d.str(item, fmt.Sprintf("%s[%d]", path, i)))
	}
	return out
}

// list reads a list of anything; empty is an empty list.
func (d *decoder) list(n *yaml.Node, path string) []*yaml.Node {
	switch n = resolve(n); {
	case n == nil || n.Tag == "!!null":
		return nil
	case n.Kind != yaml.SequenceNode:
		d.fail(path, "%s: a list", describe(n))
		return nil
	case !d.spend(len(n.Content)):
		return nil
	}
	return n.Content
}

// optional reads a boolean that may be left unsaid.
func (d *decoder) optional(n *yaml.Node, path string) *bool {
	b := d.boolean(n, path)
	return &b
}

// positive reads a number above zero.
func (d *decoder) positive(n *yaml.Node, path string) float64 {
	raw := d.str(n, path)
	v, err := strconv.ParseFloat(raw, 64)
	switch {
	case raw == "" && d.failed[path]:
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		d.fail(path, "%q is not a number", raw)
	case v <= 0:
		d.fail(path, "%s: above zero", raw)
	}
	return v
}

func (d *decoder) integer(n *yaml.Node, path string, min, max int) int {
	raw := d.str(n, path)
	v, err := strconv.Atoi(raw)
	switch {
	case raw == "" && d.failed[path]:
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
