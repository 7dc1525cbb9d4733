package cfn

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

// withResources is the app template with more resources.
func withResources(t *testing.T, resources map[string]any) []byte {
	t.Helper()
	var tpl map[string]any
	require.NoError(t, json.Unmarshal([]byte(appstack.CreateTemplate), &tpl))
	for k, v := range resources {
		tpl["Resources"].(map[string]any)[k] = v
	}
	body, err := json.Marshal(tpl)
	require.NoError(t, err)
	return body
}

// TestAppStackUpdatesOnEmulator updates an app stack on the emulator: an
// update that completes, one that changes nothing, and one a resource
// fails, which rolls back with that resource's reason; each told apart by
// its token.
func TestAppStackUpdatesOnEmulator(t *testing.T) {
	client := cloudformation.NewFromConfig(emulatortest.Config(t))
	rackName := emulatortest.Name("u")
	const app = "web"
	updates := NewUpdates(client, rackName, nil, "")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		_, err := client.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(names.AppStack(rackName, app))})
		if err != nil {
			t.Errorf("clean up: %v", err)
		}
	})
	require.NoError(t, updates.CreateAppStack(ctx, app))
	waitStatus(t, ctx, updates.Stacks, app, rack.AppRunning)

	state := func(token string) rack.StackUpdate {
		t.Helper()
		var u rack.StackUpdate
		require.Eventually(t, func() bool {
			var err error
			u, err = updates.AppStackUpdate(ctx, app, token)
			require.NoError(t, err)
			return u.State != rack.UpdateInProgress
		}, time.Minute, 50*time.Millisecond)
		return u
	}

	u, err := updates.AppStackUpdate(ctx, app, "RONE-2")
	require.NoError(t, err)
	require.Equal(t, rack.UpdateNotStarted, u.State)

	group := map[string]any{"Type": "AWS::Logs::LogGroup", "Properties": map[string]any{"LogGroupName": "/" + rackName + "/extra"}}
	one := withResources(t, map[string]any{"Extra": group})
	changed, err := updates.UpdateAppStack(ctx, app, one, "RONE-2")
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, rack.StackUpdate{State: rack.UpdateComplete}, state("RONE-2"))
	evs, err := updates.AppStackEvents(ctx, app, "RONE-2")
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	require.Equal(t, names.AppStack(rackName, app), evs[0].Resource, "the update's first event is the stack's")
	require.Equal(t, "UPDATE_IN_PROGRESS", evs[0].Status)

	changed, err = updates.UpdateAppStack(ctx, app, one, "RONE-3")
	require.NoError(t, err)
	require.False(t, changed, "the same template again changes nothing")

	// Two services of one name in one cluster: ECS refuses the second,
	// and the update rolls back.
	service := func() map[string]any {
		return map[string]any{"Type": "AWS::ECS::Service", "Properties": map[string]any{
			"Cluster": rackName + "-cluster", "ServiceName": "twice", "DesiredCount": 0, "TaskDefinition": "none",
		}}
	}
	two := withResources(t, map[string]any{"Extra": group, "First": service(), "Second": service()})
	changed, err = updates.UpdateAppStack(ctx, app, two, "RTWO-2")
	require.NoError(t, err)
	require.True(t, changed)
	failed := state("RTWO-2")
	require.Equal(t, rack.UpdateRolledBack, failed.State)
	require.Regexp(t, `^(First|Second): .*not idempotent`, failed.Reason)
	t.Logf("a failed update's reason: %s", failed.Reason)

	// The earlier update's state is its own.
	require.Equal(t, rack.StackUpdate{State: rack.UpdateComplete}, state("RONE-2"))

	err = updates.CancelAppStackUpdate(ctx, app)
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "nothing to cancel: %v", err)

	_, err = updates.UpdateAppStack(ctx, "nope", one, "RTHREE-2")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err))
}
