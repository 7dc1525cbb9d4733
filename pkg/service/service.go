package service

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// Service is the rack's use cases.
type Service struct {
	store  Store
	stacks Stacks
	sealer Sealer
	system rack.System
	newID  rack.IDGenerator
	events Publisher
	now    rack.Clock
	log    *slog.Logger
}

// Config wires a Service. NewID and Log default to rack.NewID and a
// discarding logger.
type Config struct {
	Store  Store
	Stacks Stacks
	Sealer Sealer
	// System describes this rack as configured; its status is reported as
	// running while the API answers.
	System rack.System
	NewID  rack.IDGenerator
	// Events, when set, receives a rack event for every state change.
	Events Publisher
	Now    rack.Clock
	Log    *slog.Logger
}

// New returns a Service.
func New(c Config) *Service {
	if c.NewID == nil {
		c.NewID = rack.NewID
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = rack.SystemClock
	}
	return &Service{store: c.Store, stacks: c.Stacks, sealer: c.Sealer, system: c.System, newID: c.NewID, events: c.Events, now: c.Now, log: c.Log}
}

// System describes the rack.
func (s *Service) System(context.Context) (rack.System, error) {
	sys := s.system
	sys.Status = rack.SystemRunning
	if sys.Provider == "" {
		sys.Provider = "aws"
	}
	return sys, nil
}

// ListBuilds lists an app's builds newest first.
func (s *Service) ListBuilds(ctx context.Context, app string, page rack.Page) ([]rack.Build, string, error) {
	if _, err := s.store.GetApp(ctx, app); err != nil {
		return nil, "", err
	}
	return s.store.ListBuilds(ctx, app, page)
}

// GetBuild reads one build of an app.
func (s *Service) GetBuild(ctx context.Context, app, id string) (rack.Build, error) {
	if _, err := s.store.GetApp(ctx, app); err != nil {
		return rack.Build{}, err
	}
	return s.store.GetBuild(ctx, app, id)
}

// BuildProgress is what a build's state change reports.
type BuildProgress struct {
	Status  rack.BuildStatus
	Reason  string // why it failed
	Logs    string // where its logs are
	Started time.Time
	Ended   time.Time
}

// ApplyBuildProgress moves a build forward to what its CodeBuild state
// change reports. A move the build may not make (a late IN_PROGRESS after
// SUCCEEDED, a replay) is ignored: state only moves forward.
func (s *Service) ApplyBuildProgress(ctx context.Context, app, id string, p BuildProgress) (rack.Build, error) {
	for attempt := 0; ; attempt++ {
		b, err := s.store.GetBuild(ctx, app, id)
		if err != nil {
			return rack.Build{}, err
		}
		if b.Status == p.Status || !b.Status.CanMoveTo(p.Status) {
			return b, nil
		}
		from := b.Status
		b.Status = p.Status
		b.Reason = cmp.Or(p.Reason, b.Reason)
		b.Logs = cmp.Or(p.Logs, b.Logs)
		if b.Started.IsZero() {
			b.Started = p.Started
		}
		if !p.Ended.IsZero() {
			b.Ended = p.Ended
		}
		written, err := s.store.UpdateBuild(ctx, b, from)
		if err == nil {
			s.log.InfoContext(ctx, "build status", "app", app, "build", id, "from", from, "to", p.Status)
			switch p.Status {
			case rack.BuildComplete:
				s.publish(ctx, events.ActionBuildCreate, events.StatusSuccess, map[string]string{"app": app, "id": id})
			case rack.BuildFailed:
				s.publish(ctx, events.ActionBuildCreate, events.StatusError, map[string]string{"app": app, "id": id, "reason": b.Reason})
			}
			return written, nil
		}
		if !rack.IsCode(err, rack.ECONFLICT) || attempt == 2 {
			return rack.Build{}, err
		}
	}
}

// publish announces a state change. The change is made already: a lost
// announcement is logged, never turned into a failure of the change.
func (s *Service) publish(ctx context.Context, action, status string, data map[string]string) {
	if s.events == nil {
		return
	}
	ev := events.RackEvent{Action: action, Status: status, Rack: s.system.Name, Data: data, Timestamp: s.now()}
	if err := s.events.Publish(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "rack event lost", "action", action, "status", status, "error", err.Error())
	}
}
