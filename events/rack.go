package events

import "time"

// The rack's own events: every state change the rack makes is put on the
// rack's event bus with source RackEventSource and the action as its
// detail-type, and delivered to the rack's webhooks as the detail alone,
// the body Convox webhooks receive.
const RackEventSource = "convox.rack"

// Actions of rack events.
const (
	ActionAppCreate      = "app:create"
	ActionAppUpdate      = "app:update"
	ActionAppDelete      = "app:delete"
	ActionBuildCreate    = "build:create"
	ActionReleaseCreate  = "release:create"
	ActionReleasePromote = "release:promote"
)

// Statuses of rack events.
const (
	StatusSuccess = "success"
	StatusError   = "error"
)

// RackEvent is the detail of a rack event.
type RackEvent struct {
	Action    string            `json:"action"`
	Status    string            `json:"status"`
	Rack      string            `json:"rack"`
	Data      map[string]string `json:"data"`
	Timestamp time.Time         `json:"timestamp"`
}
