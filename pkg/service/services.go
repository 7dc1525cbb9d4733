package service

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/rack"
)

// Running reads and changes an app's services as ECS runs them.
type Running interface {
	// ServiceHosts are the host names each of the named services of
	// app answers on; none for a service with no port.
	ServiceHosts(ctx context.Context, app string, services []string) (map[string][]string, error)
	// SetCount sets the desired count of app's service in ECS, now.
	SetCount(ctx context.Context, app, service string, count int) error
	// Restart replaces the tasks of app's service with new ones.
	Restart(ctx context.Context, app, service string) error
}

// Services are an app's services: what its active release runs, scaled
// as `convox scale` says.
type Services struct {
	*Core
	promotions *Promotions
	releases   *Releases
	running    Running
}

// NewServices returns the services use cases.
func NewServices(core *Core, promotions *Promotions, releases *Releases, running Running) *Services {
	return &Services{Core: core, promotions: promotions, releases: releases, running: running}
}

// ServiceUpdate is what `convox scale` changes of a service; nil leaves
// it as it is.
type ServiceUpdate struct {
	Count, CPU, Memory *int
}

// Limits of what `convox scale` takes: ECS's task sizes on Fargate and
// EC2, and a count a rack's account can reach.
const (
	MaxCount  = 1000
	MinCPU    = 128
	MaxCPU    = 16384
	MinMemory = 128
	MaxMemory = 122880
)

// ListServices lists the services of app's active release, by name, with
// their counts, sizes and host names; none before the app's first
// promotion.
func (s *Services) ListServices(ctx context.Context, app string) ([]rack.Service, error) {
	a, m, err := s.active(ctx, app)
	if err != nil || a.Release == "" {
		return []rack.Service{}, err
	}
	m = scaled(m, a.Scale)
	var names []string
	for _, svc := range m.Services {
		names = append(names, svc.Name)
	}
	hosts, err := s.running.ServiceHosts(ctx, app, names)
	if err != nil {
		return nil, err
	}
	out := make([]rack.Service, 0, len(m.Services))
	for _, svc := range m.Services {
		count := svc.Scale.Min
		if sc := a.Scale[svc.Name]; sc.Count != nil {
			count = *sc.Count
		}
		r := rack.Service{Name: svc.Name, Count: count, CPU: svc.Scale.CPU, Memory: svc.Scale.Memory}
		if svc.Agent.Enabled {
			r.Count = 0
		}
		if svc.Singleton {
			r.Count = min(r.Count, 1)
		}
		if h := hosts[svc.Name]; len(h) > 0 {
			r.Domain = h[0]
		}
		if svc.Port.Port != 0 {
			balancer := 80
			if svc.Port.Scheme == "https" {
				balancer = 443
			}
			r.Ports = []rack.ServicePort{{Balancer: balancer, Container: svc.Port.Port}}
		}
		out = append(out, r)
	}
	return out, nil
}

// active reads app and the manifest of its active release ("" release:
// the app has none yet).
func (s *Services) active(ctx context.Context, app string) (rack.App, manifest.Manifest, error) {
	a, err := s.promotions.store.GetApp(ctx, app)
	if err != nil || a.Release == "" {
		return a, manifest.Manifest{}, err
	}
	r, err := s.promotions.store.GetRelease(ctx, app, a.Release)
	if err != nil {
		return rack.App{}, manifest.Manifest{}, err
	}
	m, _, err := s.promotions.load(ctx, r)
	return a, m, err
}

// UpdateService records what `convox scale` sets of app's service, which
// every later promotion keeps. A count takes effect through ECS at once; a
// cpu or memory change is a new release of the active one's build and
// environment, promoted (it returns that release, "" for none).
func (s *Services) UpdateService(ctx context.Context, app, service string, u ServiceUpdate) (string, error) {
	if u.Count == nil && u.CPU == nil && u.Memory == nil {
		return "", rack.Errorf(rack.EINVALID, "nothing to change: give a count, cpu or memory")
	}
	switch {
	case u.Count != nil && (*u.Count < 0 || *u.Count > MaxCount):
		return "", rack.Errorf(rack.EINVALID, "count must be between 0 and %d", MaxCount)
	case u.CPU != nil && (*u.CPU < MinCPU || *u.CPU > MaxCPU):
		return "", rack.Errorf(rack.EINVALID, "cpu must be between %d and %d units", MinCPU, MaxCPU)
	case u.Memory != nil && (*u.Memory < MinMemory || *u.Memory > MaxMemory):
		return "", rack.Errorf(rack.EINVALID, "memory must be between %d and %d MiB", MinMemory, MaxMemory)
	}
	a, m, err := s.active(ctx, app)
	if err != nil {
		return "", err
	}
	if a.Release == "" {
		return "", rack.Errorf(rack.ECONFLICT, "app %s has no release to scale: deploy it first", app)
	}
	svc, ok := m.Service(service)
	if !ok {
		return "", rack.Errorf(rack.ENOTFOUND, "service not found: %s", service)
	}
	if u.Count != nil && svc.Agent.Enabled {
		return "", rack.Errorf(rack.EINVALID, "service %s is an agent: it runs one task on every instance, and has no count", service)
	}
	if u.Count != nil && svc.Singleton && *u.Count > 1 {
		return "", rack.Errorf(rack.EINVALID, "service %s is a singleton: its count is 0 or 1", service)
	}
	now, _ := scaled(m, a.Scale).Service(service)
	resize := (u.CPU != nil && *u.CPU != now.Scale.CPU) || (u.Memory != nil && *u.Memory != now.Scale.Memory)
	if resize && a.Promotion.Active() {
		return "", rack.Errorf(rack.ECONFLICT, "app %s is promoting release %s; scale its cpu or memory once that is done", app, a.Promotion.Release)
	}
	for attempt := 1; ; attempt++ {
		next := a
		next.Scale = maps.Clone(a.Scale)
		if next.Scale == nil {
			next.Scale = map[string]rack.ServiceScale{}
		}
		sc := next.Scale[service]
		if u.Count != nil {
			n := *u.Count
			sc.Count = &n
		}
		if u.CPU != nil {
			sc.CPU = *u.CPU
		}
		if u.Memory != nil {
			sc.Memory = *u.Memory
		}
		next.Scale[service] = sc
		_, err = s.promotions.store.UpdateApp(ctx, next, a.Status)
		if err == nil {
			break
		}
		if !rack.IsCode(err, rack.ECONFLICT) || attempt == claimAttempts {
			return "", err
		}
		if a, err = s.promotions.store.GetApp(ctx, app); err != nil {
			return "", err
		}
	}
	s.log.InfoContext(ctx, "service scaled", "app", app, "service", service)
	if u.Count != nil && !resize {
		if err := s.running.SetCount(ctx, app, service, *u.Count); err != nil {
			return "", err
		}
	}
	if !resize {
		return "", nil
	}
	// A new size is a new task definition: the active release again, as a
	// new release, promoted with the scale recorded above.
	active, env, err := s.releases.GetRelease(ctx, app, a.Release)
	if err != nil {
		return "", err
	}
	r, err := s.releases.CreateRelease(ctx, app, ReleaseOptions{
		Build: &active.Build, Env: &env, Description: fmt.Sprintf("scale %s%s", service, describeScale(u)),
	})
	if err != nil {
		return "", err
	}
	if _, err := s.promotions.Promote(ctx, app, r.ID); err != nil {
		return r.ID, err
	}
	return r.ID, nil
}

// describeScale says what a scale changes: " count=2 cpu=512".
func describeScale(u ServiceUpdate) string {
	var b strings.Builder
	for _, f := range []struct {
		name string
		v    *int
	}{{"count", u.Count}, {"cpu", u.CPU}, {"memory", u.Memory}} {
		if f.v != nil {
			fmt.Fprintf(&b, " %s=%d", f.name, *f.v)
		}
	}
	return b.String()
}

// RestartService replaces the tasks of app's service with new ones.
func (s *Services) RestartService(ctx context.Context, app, service string) error {
	a, m, err := s.active(ctx, app)
	if err != nil {
		return err
	}
	if _, ok := m.Service(service); !ok || a.Release == "" {
		return rack.Errorf(rack.ENOTFOUND, "service not found: %s", service)
	}
	return s.running.Restart(ctx, app, service)
}
