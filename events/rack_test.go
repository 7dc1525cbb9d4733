package events_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/events"
)

func TestRackEventRoundTrip(t *testing.T) {
	raw, err := os.ReadFile("testdata/rack-event-app-create.json")
	require.NoError(t, err)
	var ev awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	require.Equal(t, events.RackEventSource, ev.Source)
	require.Equal(t, events.ActionAppCreate, ev.DetailType)

	var d events.RackEvent
	require.NoError(t, json.Unmarshal(ev.Detail, &d))
	require.Equal(t, events.RackEvent{
		Action: events.ActionAppCreate, Status: events.StatusSuccess, Rack: "dev",
		Data: map[string]string{"app": "myapp"}, Timestamp: time.Date(2026, 11, 25, 9, 12, 4, 123456789, time.UTC),
	}, d)
	again, err := json.Marshal(d)
	require.NoError(t, err)
	require.JSONEq(t, string(ev.Detail), string(again))
}
