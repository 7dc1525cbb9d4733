package service

import (
	"context"
	"strings"

	"github.com/rackhq/rack/pkg/rack"
)

// Tasks are ECS's side of an app's processes.
type Tasks interface {
	// Processes lists the tasks of app's named services.
	Processes(ctx context.Context, app string, services []string) ([]rack.Process, error)
	// Process reads one of app's tasks; ENOTFOUND when it is not app's.
	Process(ctx context.Context, app, id string) (rack.Process, error)
	// StopProcess stops one of app's tasks.
	StopProcess(ctx context.Context, app, id string) error
	// RunProcess starts a one-off task of app's service with command.
	RunProcess(ctx context.Context, app, service, command string) (rack.Process, error)
}

// Processes are an app's running tasks: its services' and one-off runs'.
type Processes struct {
	*Core
	services *Services
	tasks    Tasks
}

// NewProcesses returns the processes use cases.
func NewProcesses(core *Core, services *Services, tasks Tasks) *Processes {
	return &Processes{Core: core, services: services, tasks: tasks}
}

// ProcessFilter narrows a list of processes; empty fields match all.
type ProcessFilter struct {
	Service, Release string
}

// ListProcesses lists the processes of app's services, as its active
// release names them.
func (p *Processes) ListProcesses(ctx context.Context, app string, f ProcessFilter) ([]rack.Process, error) {
	a, m, err := p.services.active(ctx, app)
	if err != nil || a.Release == "" {
		return []rack.Process{}, err
	}
	var names []string
	for _, s := range m.Services {
		if f.Service == "" || s.Name == f.Service {
			names = append(names, s.Name)
		}
	}
	ps, err := p.tasks.Processes(ctx, app, names)
	if err != nil {
		return nil, err
	}
	out := []rack.Process{}
	for _, proc := range ps {
		if f.Release == "" || proc.Release == f.Release {
			out = append(out, proc)
		}
	}
	return out, nil
}

// GetProcess reads one of app's processes.
func (p *Processes) GetProcess(ctx context.Context, app, id string) (rack.Process, error) {
	if err := validProcessID(id); err != nil {
		return rack.Process{}, err
	}
	if _, err := p.services.promotions.store.GetApp(ctx, app); err != nil {
		return rack.Process{}, err
	}
	return p.tasks.Process(ctx, app, id)
}

// StopProcess stops one of app's processes.
func (p *Processes) StopProcess(ctx context.Context, app, id string) error {
	if err := validProcessID(id); err != nil {
		return err
	}
	if _, err := p.services.promotions.store.GetApp(ctx, app); err != nil {
		return err
	}
	return p.tasks.StopProcess(ctx, app, id)
}

// RunProcess starts a one-off process of app's service, with command in a
// shell, as the active release runs the service.
func (p *Processes) RunProcess(ctx context.Context, app, service, command string) (rack.Process, error) {
	if strings.TrimSpace(command) == "" {
		return rack.Process{}, rack.Errorf(rack.EINVALID, "a command to run is required")
	}
	if len(command) > maxCommand {
		return rack.Process{}, rack.Errorf(rack.EINVALID, "the command is %d bytes: at most %d", len(command), maxCommand)
	}
	a, m, err := p.services.active(ctx, app)
	if err != nil {
		return rack.Process{}, err
	}
	if a.Release == "" {
		return rack.Process{}, rack.Errorf(rack.ECONFLICT, "app %s has no release to run: deploy it first", app)
	}
	if _, ok := m.Service(service); !ok {
		return rack.Process{}, rack.Errorf(rack.ENOTFOUND, "service not found: %s", service)
	}
	proc, err := p.tasks.RunProcess(ctx, app, service, command)
	if err != nil {
		return rack.Process{}, err
	}
	p.log.InfoContext(ctx, "process run", "app", app, "service", service, "process", proc.ID)
	return proc, nil
}

// maxCommand bounds a one-off command: ECS takes 8 KB of overrides.
const maxCommand = 4096

// validProcessID checks a process id as ECS spells a task id: letters
// and digits, at most 64.
func validProcessID(id string) error {
	if id == "" || len(id) > 64 || strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	}) >= 0 {
		return rack.Errorf(rack.ENOTFOUND, "process not found: %s", id)
	}
	return nil
}
