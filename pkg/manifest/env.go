package manifest

import (
	"maps"
	"slices"
	"strings"
)

// declarations are a service's environment as Convox reads it: the
// app-wide ones first, then the service's own, a later one winning.
func (m Manifest) declarations(s Service) []string {
	return slices.Concat(m.Environment, s.Environment)
}

// MissingEnv lists, sorted, the variables some service requires (declared
// as a bare NAME, with no default anywhere in its environment) that env,
// the app's environment, does not set. Convox refuses a release with any:
// "required env: A, B".
func (m Manifest) MissingEnv(env map[string]string) []string {
	missing := map[string]bool{}
	for _, s := range m.Services {
		required := map[string]bool{}
		for _, e := range m.declarations(s) {
			name, _, hasDefault := strings.Cut(e, "=")
			if name != "*" {
				required[name] = !hasDefault
			}
		}
		for name, req := range required {
			if _, set := env[name]; req && !set {
				missing[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(missing))
}

// ServiceEnv is the environment a service's containers get from env, the
// app's environment, as Convox builds it: each declared NAME with its value
// in env, or its default when env lacks it ("" when it has none); a * takes
// every variable of env. It is nil when there is no such service.
func (m Manifest) ServiceEnv(service string, env map[string]string) map[string]string {
	s, ok := m.Service(service)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, e := range m.declarations(s) {
		name, def, _ := strings.Cut(e, "=")
		if name == "*" {
			maps.Copy(out, env)
			continue
		}
		if v, set := env[name]; set {
			out[name] = v
		} else {
			out[name] = def
		}
	}
	return out
}
