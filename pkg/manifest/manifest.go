// Package manifest reads convox.yml, Convox's generation 2 app manifest:
// its services, timers and environment, with Convox's defaults. It is
// pure: the CLI checks a manifest with it before uploading anything, and
// the API checks what it records. Every error is reported at once, each
// with its field path ("services.web.port: ...").
package manifest

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Convox's defaults for a service (convox/rack pkg/manifest).
const (
	DefaultCPU            = 256 // CPU units
	DefaultMemory         = 512 // MiB
	DefaultHealthPath     = "/"
	DefaultHealthInterval = 5  // seconds; timeout is one less, grace the same
	DefaultDrain          = 30 // seconds
	DefaultTermination    = 30 // seconds
)

// Manifest is a parsed, checked convox.yml with its defaults applied.
type Manifest struct {
	Environment []string // app-wide variables: NAME, or NAME=default
	Params      map[string]string
	Services    []Service // in name order
	Timers      []Timer   // in name order
}

// Service is one service of the app.
type Service struct {
	Name        string
	Build       Build // empty when the service runs an Image
	Image       string
	Command     string
	Port        Port
	Health      Health
	Scale       Scale
	Domains     []string
	Environment []string // NAME, or NAME=default
	Resources   []string
	Internal    bool
	Singleton   bool
	Agent       bool
	Sticky      bool
	Drain       int // seconds
	Deployment  Deployment
	Termination int // seconds of grace
}

// Build says how a service's image is built.
type Build struct {
	Path     string   // the context directory, relative to the manifest
	Manifest string   // the Dockerfile, relative to Path
	Args     []string // build arguments: NAME or NAME=value
}

// Port is where a service listens; Port 0 means it does not.
type Port struct {
	Scheme string // http or https
	Port   int
}

// Health is a service's health check.
type Health struct {
	Path                     string
	Interval, Timeout, Grace int // seconds
}

// Scale is a service's size.
type Scale struct {
	Min, Max    int // instances: Min == Max unless autoscaled
	CPU, Memory int
}

// Deployment bounds a service's running count during a deploy, in percent
// of its desired count.
type Deployment struct {
	Minimum, Maximum int
}

// Timer runs a command of a service on a schedule.
type Timer struct {
	Name     string
	Schedule string // cron, 5 or 6 fields
	Command  string
	Service  string
}

// Error is one thing wrong with a manifest, at a field path.
type Error struct {
	Path    string // services.web.port; "" for the document
	Message string
}

func (e Error) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Errors is everything wrong with a manifest, in document order.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// interpolation is ${NAME} in a manifest, as Convox finds it.
var interpolation = regexp.MustCompile(`\$\{([^}]*?)\}`)

// Load reads and checks a convox.yml as Convox does: every ${NAME} in the
// text is first replaced by the value of NAME in env (the app's
// environment), or by nothing when NAME is not there.
func Load(data []byte, env map[string]string) (Manifest, error) {
	return Parse(interpolation.ReplaceAllFunc(data, func(m []byte) []byte {
		return []byte(env[string(m[2:len(m)-1])])
	}))
}

// Parse reads and checks a convox.yml as it is, ${NAME} and all. Its error
// is Errors, listing every problem found.
func Parse(data []byte) (Manifest, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Manifest{}, Errors{{Message: strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	d := &decoder{}
	m := d.manifest(&doc)
	if len(d.errs) > 0 {
		return Manifest{}, d.errs
	}
	return m, nil
}

// IsErrors reports whether err lists a manifest's problems, and returns them.
func IsErrors(err error) (Errors, bool) {
	var es Errors
	ok := errors.As(err, &es)
	return es, ok
}

// Service finds a service by name.
func (m Manifest) Service(name string) (Service, bool) {
	i := slices.IndexFunc(m.Services, func(s Service) bool { return s.Name == name })
	if i < 0 {
		return Service{}, false
	}
	return m.Services[i], true
}
