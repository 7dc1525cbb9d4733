package instances_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/trigger/instances"
)

// The samples are of rack dev: group dev-Instances-1A2B3C4D5E6F7, cluster dev.
const group = "dev-Instances-1A2B3C4D5E6F7"

func sample(t *testing.T, name string) awsevents.CloudWatchEvent {
	t.Helper()
	raw, err := os.ReadFile("../../../events/testdata/" + name + ".json")
	require.NoError(t, err)
	var ev awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev
}

// edit changes one field of a sample's detail.
func edit(t *testing.T, ev awsevents.CloudWatchEvent, field string, value any) awsevents.CloudWatchEvent {
	var d map[string]any
	require.NoError(t, json.Unmarshal(ev.Detail, &d))
	d[field] = value
	ev.Detail, _ = json.Marshal(d)
	return ev
}

// members is the group: the instance of the samples and no other.
type members map[string]bool

func (m members) Has(_ context.Context, id string) (bool, error) {
	if m == nil {
		return false, errors.New("ec2 down")
	}
	return m[id], nil
}

func handler(p instances.Publisher) *instances.Handler {
	return instances.New("dev", group, "dev", members{"i-0a1b2c3d4e5f67890": true}, p, slog.New(slog.DiscardHandler))
}

func TestInstanceStatesOfTheGroupAreAnnounced(t *testing.T) {
	published := &fake.Events{}
	h := handler(published)
	require.NoError(t, h.Handle(context.Background(), sample(t, "ec2-instance-state-running")))
	require.NoError(t, h.Handle(context.Background(), sample(t, "ec2-instance-state-terminated")))
	other := edit(t, sample(t, "ec2-instance-state-running"), "instance-id", "i-0fffffffffffffff0")
	require.NoError(t, h.Handle(context.Background(), other))
	stopping := edit(t, sample(t, "ec2-instance-state-running"), "state", "stopping")
	require.NoError(t, h.Handle(context.Background(), stopping))
	require.Equal(t, []string{"instance:launch success", "instance:terminate success"}, published.Actions())

	broken := instances.New("dev", group, "dev", members(nil), published, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, broken.Handle(context.Background(), sample(t, "ec2-instance-state-running")), "ec2 down")
}

func TestLifecycleActionsAreAnnounced(t *testing.T) {
	published := &fake.Events{}
	h := handler(published)
	require.NoError(t, h.Handle(context.Background(), sample(t, "autoscaling-launch-lifecycle-action")))
	require.NoError(t, h.Handle(context.Background(), sample(t, "autoscaling-terminate-lifecycle-action")))
	require.Equal(t, []string{"instance:launch started", "instance:terminate started"}, published.Actions())
}

func TestAnActiveInstanceWithoutItsAgentIsUnhealthy(t *testing.T) {
	published := &fake.Events{}
	h := handler(published)
	// The sample is draining: nothing to announce.
	require.NoError(t, h.Handle(context.Background(), sample(t, "ecs-container-instance-state-change")))
	require.Empty(t, published.Actions())

	active := edit(t, sample(t, "ecs-container-instance-state-change"), "status", "ACTIVE")
	require.NoError(t, h.Handle(context.Background(), active))
	require.Equal(t, []string{"instance:unhealthy error"}, published.Actions())

	connected := edit(t, active, "agentConnected", true)
	require.NoError(t, h.Handle(context.Background(), connected))
	require.Len(t, published.Actions(), 1)
}

func TestOtherGroupsClustersAndKindsAreIgnored(t *testing.T) {
	published := &fake.Events{}
	h := handler(published)
	for _, ev := range []awsevents.CloudWatchEvent{
		edit(t, sample(t, "autoscaling-terminate-lifecycle-action"), "AutoScalingGroupName", "prod-Instances-X"),
		edit(t, edit(t, sample(t, "ecs-container-instance-state-change"), "status", "ACTIVE"),
			"clusterArn", "arn:aws:ecs:us-east-1:123456789012:cluster/devel"),
		sample(t, "cloudformation-stack-status-update-complete"),
	} {
		require.NoError(t, h.Handle(context.Background(), ev))
	}
	require.Empty(t, published.Actions())
}

type failing struct{}

func (failing) Publish(context.Context, events.RackEvent) error { return errors.New("bus down") }

func TestFailuresAreReturnedForARetry(t *testing.T) {
	h := handler(failing{})
	err := h.Handle(context.Background(), sample(t, "autoscaling-terminate-lifecycle-action"))
	require.ErrorContains(t, err, "bus down")

	bad := sample(t, "autoscaling-terminate-lifecycle-action")
	bad.Detail = json.RawMessage(`{"EC2InstanceId": 5}`)
	require.Error(t, handler(&fake.Events{}).Handle(context.Background(), bad))
}
