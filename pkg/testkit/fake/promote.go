package fake

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

// Updates is CloudFormation's side of promotions in memory: each app's
// stack holds a template, and each update a token names ends as the test
// says. By default an update completes as soon as it is asked for; with
// Hold set it stays in progress until Finish.
type Updates struct {
	mu        sync.Mutex
	templates map[string]string            // by app: the template the stack holds
	states    map[string]rack.StackUpdate  // by token
	events    map[string][]rack.StackEvent // by token
	apps      map[string]map[string]bool   // app → tokens
	previous  map[string]string            // token → the template before it
	calls     map[string]int               // by app: UpdateAppStack calls that started an update
	Hold      bool                         // updates stay in progress until Finish
	UpdateErr error                        // when set, fails every UpdateAppStack
	Cancelled []string                     // apps whose update was cancelled
	now       func() time.Time
	// deployments are what AppDeployments tells, by app.
	deployments map[string][]rack.Deployment
}

// NewUpdates returns Updates with every stack empty.
func NewUpdates(now func() time.Time) *Updates {
	return &Updates{
		templates: map[string]string{}, states: map[string]rack.StackUpdate{}, events: map[string][]rack.StackEvent{},
		apps: map[string]map[string]bool{}, previous: map[string]string{}, calls: map[string]int{}, now: now,
	}
}

var (
	_ service.AppStacks   = (*Updates)(nil)
	_ service.Deployments = (*Updates)(nil)
)

// UpdateAppStack starts an update unless the stack holds template already,
// or is busy with another.
func (f *Updates) UpdateAppStack(_ context.Context, app string, template []byte, token string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.UpdateErr != nil {
		return false, f.UpdateErr
	}
	for t := range f.apps[app] {
		if f.states[t].State == rack.UpdateInProgress {
			return false, rack.Errorf(rack.ECONFLICT, "stack of app %s is in UPDATE_IN_PROGRESS state and can not be updated", app)
		}
	}
	if f.templates[app] == string(template) {
		return false, nil
	}
	if f.apps[app] == nil {
		f.apps[app] = map[string]bool{}
	}
	f.apps[app][token] = true
	f.calls[app]++
	f.previous[token] = f.templates[app]
	f.templates[app] = string(template)
	f.event(token, app, "UPDATE_IN_PROGRESS", "User Initiated")
	f.states[token] = rack.StackUpdate{State: rack.UpdateInProgress}
	if !f.Hold {
		f.finish(token, rack.UpdateComplete, "")
	}
	return true, nil
}

// SetDeployments sets what AppDeployments tells of app.
func (f *Updates) SetDeployments(app string, ds []rack.Deployment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deployments == nil {
		f.deployments = map[string][]rack.Deployment{}
	}
	f.deployments[app] = ds
}

// AppDeployments tells what SetDeployments set; none by default.
func (f *Updates) AppDeployments(_ context.Context, app string) ([]rack.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rack.Deployment{}, f.deployments[app]...), nil
}

// AppStackUpdate tells where update token stands.
func (f *Updates) AppStackUpdate(_ context.Context, app, token string) (rack.StackUpdate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.states[token]; ok && f.apps[app][token] {
		return u, nil
	}
	return rack.StackUpdate{State: rack.UpdateNotStarted}, nil
}

// AppStackEvents lists update token's events.
func (f *Updates) AppStackEvents(_ context.Context, app, token string) ([]rack.StackEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.apps[app][token] {
		return []rack.StackEvent{}, nil
	}
	return append([]rack.StackEvent{}, f.events[token]...), nil
}

// CancelAppStackUpdate rolls back the update in progress.
func (f *Updates) CancelAppStackUpdate(_ context.Context, app string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t := range f.apps[app] {
		if f.states[t].State == rack.UpdateInProgress {
			f.Cancelled = append(f.Cancelled, app)
			f.finish(t, rack.UpdateRolledBack, "Resource update cancelled")
			return nil
		}
	}
	return rack.Errorf(rack.ECONFLICT, "app %s has no stack update in progress", app)
}

// Finish ends update token as state, with reason when it failed.
func (f *Updates) Finish(token string, state rack.StackUpdateState, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finish(token, state, reason)
}

func (f *Updates) finish(token string, state rack.StackUpdateState, reason string) {
	f.states[token] = rack.StackUpdate{State: state, Reason: reason}
	var app string
	for a, tokens := range f.apps {
		if tokens[token] {
			app = a
		}
	}
	switch state {
	case rack.UpdateComplete:
		f.event(token, app, "UPDATE_COMPLETE", "")
	case rack.UpdateRolledBack, rack.UpdateRollbackFailed:
		f.templates[app] = f.previous[token]
		f.event(token, "Service", "UPDATE_FAILED", reason)
		f.event(token, app, map[rack.StackUpdateState]string{
			rack.UpdateRolledBack: "UPDATE_ROLLBACK_COMPLETE", rack.UpdateRollbackFailed: "UPDATE_ROLLBACK_FAILED",
		}[state], "")
	}
}

func (f *Updates) event(token, resource, status, reason string) {
	f.events[token] = append(f.events[token], rack.StackEvent{Time: f.now(), Resource: resource, Type: "AWS::ECS::Service", Status: status, Reason: reason})
}

// Template is the template app's stack holds.
func (f *Updates) Template(app string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.templates[app]
}

// Calls counts the updates asked of app's stack that started one.
func (f *Updates) Calls(app string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[app]
}

// EnvValues keeps values in memory, by reference.
type EnvValues struct {
	mu     sync.Mutex
	values map[string]string // reference → value
}

var _ service.EnvValues = (*EnvValues)(nil)

// NewEnvValues returns EnvValues with none kept.
func NewEnvValues() *EnvValues { return &EnvValues{values: map[string]string{}} }

// StoreEnv keeps each non-empty value under the name the rack gives it
// (rack "dev", as Layout's), unless the same value of the same name is
// kept already.
func (e *EnvValues) StoreEnv(_ context.Context, app, release string, env rack.Environment) (map[string]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	refs := map[string]string{}
	for _, k := range env.Keys() {
		v := env[k]
		if v == "" {
			refs[k] = ""
			continue
		}
		prefix := names.EnvParameterPath(LayoutRack, app) + k + "/"
		for ref, kept := range e.values {
			if kept == v && len(ref) > len(prefix) && ref[:len(prefix)] == prefix {
				refs[k] = ref
			}
		}
		if refs[k] == "" {
			refs[k] = prefix + release
			e.values[refs[k]] = v
		}
	}
	return refs, nil
}

// DeleteEnv forgets app's values.
func (e *EnvValues) DeleteEnv(_ context.Context, app string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ref := range e.values {
		if strings.HasPrefix(ref, names.EnvParameterPath(LayoutRack, app)) {
			delete(e.values, ref)
		}
	}
	return nil
}

// Values are the values kept, by reference.
func (e *EnvValues) Values() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.values)
}

// LayoutRack is the name of the rack Layout describes.
const LayoutRack = "dev"

// Layout is a rack whose balancer is ready unless Building is set.
type Layout struct {
	mu       sync.Mutex
	Building bool
	// Asked records the balancers asked for.
	Asked [][2]bool
	// Removed counts RemoveRouter calls.
	Removed int
}

var _ service.RackLayout = (*Layout)(nil)

// StackRack is a rack named dev with a router, unless Building.
func (l *Layout) StackRack(_ context.Context, external, internal bool) (appstack.Rack, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Asked = append(l.Asked, [2]bool{external, internal})
	if (external || internal) && l.Building {
		return appstack.Rack{}, false, nil
	}
	r := appstack.Rack{Name: LayoutRack, Cluster: "dev-cluster", VPC: "vpc-1", Subnets: []string{"subnet-1", "subnet-2"}, CapacityProvider: "dev-capacity", Domain: "dev.example.org"}
	if external || internal {
		r.Router = &appstack.Router{HTTP: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/dev/1/80", SecurityGroup: "sg-router", Host: "dev-router.example.org"}
	}
	return r, true, nil
}

// RemoveRouter records the removal; the next StackRack that needs a
// balancer finds it being made again.
func (l *Layout) RemoveRouter(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Removed++
	return nil
}

// SetBuilding says whether the balancer is still being made.
func (l *Layout) SetBuilding(b bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Building = b
}

// Running is ECS's side of an app's services: the counts set, the
// restarts, and host names a test gives.
type Running struct {
	mu       sync.Mutex
	Hosts    map[string]map[string][]string // app → service → host names
	Counts   map[string]int                 // "app/service" → the count set last
	Restarts []string                       // "app/service", in order
}

var _ service.Running = (*Running)(nil)

// NewRunning returns Running with nothing set.
func NewRunning() *Running {
	return &Running{Hosts: map[string]map[string][]string{}, Counts: map[string]int{}}
}

// ServiceHosts are the host names set in Hosts.
func (r *Running) ServiceHosts(_ context.Context, app string, services []string) (map[string][]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for _, s := range services {
		if h := r.Hosts[app][s]; len(h) > 0 {
			out[s] = h
		}
	}
	return out, nil
}

// SetCount records the count.
func (r *Running) SetCount(_ context.Context, app, service string, count int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Counts[app+"/"+service] = count
	return nil
}

// Restart records the restart.
func (r *Running) Restart(_ context.Context, app, service string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Restarts = append(r.Restarts, app+"/"+service)
	return nil
}

// Tasks are ECS tasks in memory: those a test adds and those runs start.
type Tasks struct {
	mu      sync.Mutex
	procs   map[string][]rack.Process // by app
	next    int
	Release string // the release runs are of
	now     func() time.Time
}

var _ service.Tasks = (*Tasks)(nil)

// NewTasks returns Tasks with none.
func NewTasks(now func() time.Time) *Tasks {
	return &Tasks{procs: map[string][]rack.Process{}, now: now}
}

// Add adds a task of app.
func (f *Tasks) Add(app string, p rack.Process) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p.App = app
	f.procs[app] = append(f.procs[app], p)
}

// Processes lists app's tasks of the named services.
func (f *Tasks) Processes(_ context.Context, app string, services []string) ([]rack.Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []rack.Process{}
	for _, p := range f.procs[app] {
		for _, s := range services {
			if p.Name == s {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// Process reads one of app's tasks.
func (f *Tasks) Process(_ context.Context, app, id string) (rack.Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.procs[app] {
		if p.ID == id {
			return p, nil
		}
	}
	return rack.Process{}, rack.Errorf(rack.ENOTFOUND, "process not found: %s", id)
}

// StopProcess removes one of app's tasks.
func (f *Tasks) StopProcess(_ context.Context, app, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.procs[app] {
		if p.ID == id {
			f.procs[app] = append(f.procs[app][:i], f.procs[app][i+1:]...)
			return nil
		}
	}
	return rack.Errorf(rack.ENOTFOUND, "process not found: %s", id)
}

// RunProcess starts a task running command.
func (f *Tasks) RunProcess(_ context.Context, app, service, command string) (rack.Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	p := rack.Process{
		ID: fmt.Sprintf("%032x", f.next), App: app, Name: service, Release: f.Release,
		Status: rack.ProcessPending, Command: command, Started: f.now(),
	}
	f.procs[app] = append(f.procs[app], p)
	return p, nil
}

// LogGroups are log groups in memory.
type LogGroups struct {
	mu     sync.Mutex
	groups map[string][]rack.LogEvent
}

var _ service.LogGroups = (*LogGroups)(nil)

// NewLogGroups returns LogGroups with none.
func NewLogGroups() *LogGroups { return &LogGroups{groups: map[string][]rack.LogEvent{}} }

// Put adds events to group.
func (g *LogGroups) Put(group string, evs ...rack.LogEvent) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.groups[group] = append(g.groups[group], evs...)
}

// GroupEvents returns group's events from start, containing pattern (a
// plain substring here), oldest first, at most limit.
func (g *LogGroups) GroupEvents(_ context.Context, group, prefix string, start time.Time, pattern string, limit int) ([]rack.LogEvent, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []rack.LogEvent
	for _, e := range g.groups[group] {
		if !e.Time.Before(start) && strings.HasPrefix(e.Stream, prefix) && strings.Contains(e.Message, pattern) && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// Finish stops app's task id with exit code.
func (f *Tasks) Finish(app, id string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.procs[app] {
		if p.ID == id {
			p.Status, p.ExitCode = rack.ProcessStopped, &code
			f.procs[app][i] = p
		}
	}
}
