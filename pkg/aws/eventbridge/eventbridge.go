// Package eventbridge puts the rack's events on its EventBridge eventbridge.
package eventbridge

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/rackhq/rack/events"
)

// API is the part of the EventBridge client the bus uses.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Bus is one rack's event eventbridge.
type Bus struct {
	api  API
	name string
}

// New returns the bus of the given name.
func New(api API, name string) *Bus { return &Bus{api: api, name: name} }

// Publish puts one rack event on the eventbridge.
func (b *Bus) Publish(ctx context.Context, ev events.RackEvent) error {
	detail, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("publish %s: %w", ev.Action, err)
	}
	out, err := b.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String(b.name),
		Source:       aws.String(events.RackEventSource),
		DetailType:   aws.String(ev.Action),
		Detail:       aws.String(string(detail)),
		Time:         aws.Time(ev.Timestamp),
	}}})
	if err != nil {
		return fmt.Errorf("publish %s: %w", ev.Action, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		return fmt.Errorf("publish %s: %s: %s", ev.Action, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	return nil
}
