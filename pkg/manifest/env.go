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
		defaulted := map[string]bool{}
		for _, e := range m.declarations(s) {
			name, _, hasDefault := strings.Cut(e, "=")
			defaulted[name] = defaulted[name] || hasDefault
		}
		for name, hasDefault := range defaulted {
			if _, set := env[name]; !hasDefault && !set && name != "*" {
				missing[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(missing))
}

// ServiceEnv is the environment a service's containers get from env, the
// app's environment, as Convox builds it: each declared NAME with its value
// in env, or else its default (the last one declared; "" when it has
// none); a * takes every variable of env. It is nil when there is no such service.
func (m Manifest) ServiceEnv(service string, env map[string]string) map[string]string {
	s, ok := m.Service(service)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, e := range m.declarations(s) {
		name, def, hasDefault := strings.Cut(e, "=")
		v, set := env[name]
		switch _, had := out[name]; {
		case name == "*":
			maps.Copy(out, env)
		case set:
			out[name] = v
		case hasDefault || !had:
			out[name] = def
		}
	}
	return out
}
