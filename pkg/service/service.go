package service

import (
	"context"
	"log/slog"

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
