package service

import (
	"cmp"
	"context"
	"time"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// BuildStore is what Builds keeps.
type BuildStore interface {
	GetApp(ctx context.Context, name string) (rack.App, error)
	GetBuild(ctx context.Context, app, id string) (rack.Build, error)
	ListBuilds(ctx context.Context, app string, page rack.Page) ([]rack.Build, string, error)
	UpdateBuild(ctx context.Context, build rack.Build, from rack.BuildStatus) (rack.Build, error)
}

// Builds reads apps' builds and moves them forward as the builder reports.
type Builds struct {
	*Core
	store BuildStore
}

// NewBuilds returns the builds use cases.
func NewBuilds(core *Core, store BuildStore) *Builds {
	return &Builds{Core: core, store: store}
}

// ListBuilds lists an app's builds newest first.
func (s *Builds) ListBuilds(ctx context.Context, app string, page rack.Page) ([]rack.Build, string, error) {
	if _, err := s.store.GetApp(ctx, app); err != nil {
		return nil, "", err
	}
	return s.store.ListBuilds(ctx, app, page)
}

// GetBuild reads one build of an app.
func (s *Builds) GetBuild(ctx context.Context, app, id string) (rack.Build, error) {
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
func (s *Builds) ApplyBuildProgress(ctx context.Context, app, id string, p BuildProgress) (rack.Build, error) {
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
