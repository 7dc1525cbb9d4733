package service

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/rackhq/rack/pkg/rack"
)

// Service is the rack's use cases.
type Service struct {
	store  Store
	stacks Stacks
	sealer Sealer
	system rack.System
	newID  rack.IDGenerator
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
	return &Service{store: c.Store, stacks: c.Stacks, sealer: c.Sealer, system: c.System, newID: c.NewID, log: c.Log}
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
			return written, nil
		}
		if !rack.IsCode(err, rack.ECONFLICT) || attempt == 2 {
			return rack.Build{}, err
		}
	}
}
