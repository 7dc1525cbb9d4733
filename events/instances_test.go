package events_test

import (
	"encoding/json"
	"os"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/events"
)

func TestLifecycleActionSamplesRoundTrip(t *testing.T) {
	for file, detailType := range map[string]string{
		"autoscaling-launch-lifecycle-action.json":    events.LaunchLifecycleActionDetailType,
		"autoscaling-terminate-lifecycle-action.json": events.TerminateLifecycleActionType,
	} {
		raw, err := os.ReadFile("testdata/" + file)
		require.NoError(t, err)
		var ev awsevents.CloudWatchEvent
		require.NoError(t, json.Unmarshal(raw, &ev))
		require.Equal(t, events.AutoScalingEventSource, ev.Source)
		require.Equal(t, detailType, ev.DetailType)
		var d events.LifecycleActionDetail
		require.NoError(t, json.Unmarshal(ev.Detail, &d))
		require.Equal(t, "i-0a1b2c3d4e5f67890", d.EC2InstanceID)
		again, err := json.Marshal(d)
		require.NoError(t, err)
		require.JSONEq(t, string(ev.Detail), string(again), file)
	}
}

func TestEC2StateChangeSamples(t *testing.T) {
	for file, state := range map[string]string{
		"ec2-instance-state-running.json":    events.EC2StateRunning,
		"ec2-instance-state-terminated.json": events.EC2StateTerminated,
	} {
		raw, err := os.ReadFile("testdata/" + file)
		require.NoError(t, err)
		var ev awsevents.CloudWatchEvent
		require.NoError(t, json.Unmarshal(raw, &ev))
		require.Equal(t, events.EC2EventSource, ev.Source)
		require.Equal(t, events.EC2StateChangeDetailType, ev.DetailType)
		var d events.EC2StateChangeDetail
		require.NoError(t, json.Unmarshal(ev.Detail, &d))
		require.Equal(t, state, d.State)
		again, err := json.Marshal(d)
		require.NoError(t, err)
		require.JSONEq(t, string(ev.Detail), string(again), file)
	}
}
