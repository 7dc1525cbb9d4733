package appstack

import (
	"encoding/json"

	"github.com/rackhq/rack/pkg/manifest"
)

// Rack is what an app stack takes from its rack.
type Rack struct {
	Name             string
	Cluster          string
	VPC              string
	Subnets          []string
	CapacityProvider string
	Fargate          bool
	Domain           string
	Router           *Router
}

// Router is the rack's shared balancers.
type Router struct {
	HTTP, HTTPS                 string
	InternalHTTP, InternalHTTPS string
	SecurityGroup               string
}

// Release is what of a release the stack deploys.
type Release struct {
	ID, Build string
	Env       map[string]string
}

// Options are what Render renders from, beside the manifest.
type Options struct {
	Rack    Rack
	App     string
	Release Release
	Counts  map[string]int
}

// Stack is a rendered template.
type Stack struct{ body map[string]any }

// JSON is the template's text.
func (t *Stack) JSON() ([]byte, error) { return json.Marshal(t.body) }

// NeedsRouter tells whether m has services behind the external and the
// internal balancer.
func NeedsRouter(m manifest.Manifest) (external, internal bool) {
	for _, s := range m.Services {
		if s.Port.Port == 0 {
			continue
		}
		if s.Internal {
			internal = true
		}
		if !s.Internal || s.InternalAndExternal {
			external = true
		}
	}
	return external, internal
}

// Render renders the app stack of m.
func Render(m manifest.Manifest, o Options) (*Stack, error) {
	var body map[string]any
	if err := json.Unmarshal([]byte(Template), &body); err != nil {
		return nil, err
	}
	body["Outputs"].(map[string]any)["Release"] = map[string]any{"Value": o.Release.ID}
	return &Stack{body: body}, nil
}
