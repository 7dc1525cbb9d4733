package service

import (
	"context"
	"log/slog"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// Core is what every noun shares: the rack's name, where its events go,
// the clock, the ids and the log.
type Core struct {
	rack   string
	events Publisher
	newID  rack.IDGenerator
	now    rack.Clock
	log    *slog.Logger
}

// CoreConfig makes a Core. Only Rack is required: Events nil sends no
// events, and NewID, Now and Log default to rack.NewID, the system clock
// and a discarding logger.
type CoreConfig struct {
	Rack   string
	Events Publisher
	NewID  rack.IDGenerator
	Now    rack.Clock
	Log    *slog.Logger
}

// NewCore returns a Core.
func NewCore(c CoreConfig) *Core {
	core := &Core{rack: c.Rack, events: c.Events, newID: c.NewID, now: c.Now, log: c.Log}
	if core.newID == nil {
		core.newID = rack.NewID
	}
	if core.now == nil {
		core.now = rack.SystemClock
	}
	if core.log == nil {
		core.log = slog.New(slog.DiscardHandler)
	}
	return core
}

// publish announces a state change. The change is made already: a lost
// announcement is logged, never turned into a failure of the change.
func (c *Core) publish(ctx context.Context, action, status string, data map[string]string) {
	if c.events == nil {
		return
	}
	ev := events.RackEvent{Action: action, Status: status, Rack: c.rack, Data: data, Timestamp: c.now()}
	if err := c.events.Publish(ctx, ev); err != nil {
		c.log.ErrorContext(ctx, "rack event lost", "action", action, "status", status, "error", err.Error())
	}
}
