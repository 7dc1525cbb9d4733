package cfn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

// TestAppStackOnEmulator takes an app stack through its life on the
// emulator: create, running, a retried create, delete, gone, a retried
// delete.
func TestAppStackOnEmulator(t *testing.T) {
	client := cloudformation.NewFromConfig(emulatortest.Config(t))
	rackName := emulatortest.Name("r")
	const app = "web"
	stacks := New(client, rackName)
	stackName := names.AppStack(rackName, app)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	t.Cleanup(func() {
		// A failed test must not leave its stack behind.
		_, err := client.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stackName)})
		if err != nil {
			t.Errorf("clean up stack %s: %v", stackName, err)
		}
	})

	start := time.Now()
	require.NoError(t, stacks.CreateAppStack(ctx, app))
	waitStatus(t, ctx, stacks, app, rack.AppRunning)
	t.Logf("stack %s running after %s on the %s", stackName, time.Since(start).Round(time.Millisecond), emulatortest.String())

	// The stack's resources are the app's repository and log group, under
	// the names the rack gives them.
	res, err := client.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stackName)})
	require.NoError(t, err)
	physical := map[string]string{}
	for _, r := range res.StackResources {
		require.Equal(t, types.ResourceStatusCreateComplete, r.ResourceStatus, aws.ToString(r.LogicalResourceId))
		physical[aws.ToString(r.ResourceType)] = aws.ToString(r.PhysicalResourceId)
	}
	require.Equal(t, map[string]string{
		"AWS::ECR::Repository": names.Repository(rackName, app),
		"AWS::Logs::LogGroup":  names.LogGroup(rackName, app),
	}, physical)

	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackName)})
	require.NoError(t, err)
	require.Len(t, out.Stacks, 1)
	stack := out.Stacks[0]
	outputs := map[string]string{}
	for _, o := range stack.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	require.Equal(t, names.Repository(rackName, app), outputs["RepositoryName"])
	require.True(t, strings.HasSuffix(outputs["RepositoryUri"], "/"+names.Repository(rackName, app)), "RepositoryUri %q", outputs["RepositoryUri"])
	require.Equal(t, names.LogGroup(rackName, app), outputs["LogGroup"])
	tags := map[string]string{}
	for _, tag := range stack.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	require.Equal(t, map[string]string{"Rack": rackName, "App": app, "Type": "app"}, tags)

	// A retried create changes nothing.
	require.NoError(t, stacks.CreateAppStack(ctx, app))
	status, _, err := stacks.AppStackStatus(ctx, app)
	require.NoError(t, err)
	require.Equal(t, rack.AppRunning, status)

	start = time.Now()
	require.NoError(t, stacks.DeleteAppStack(ctx, app))
	waitGone(t, ctx, stacks, app)
	t.Logf("stack %s gone after %s", stackName, time.Since(start).Round(time.Millisecond))

	require.NoError(t, stacks.DeleteAppStack(ctx, app), "a retried delete")
	_, _, err = stacks.AppStackStatus(ctx, app)
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
}

// pollEvery is how often a test asks the emulator where a stack stands.
const pollEvery = 50 * time.Millisecond

// waitStatus polls app's stack until it reaches want, and fails the test
// when it fails or ctx ends first.
func waitStatus(t *testing.T, ctx context.Context, stacks *Stacks, app string, want rack.AppStatus) {
	t.Helper()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		status, reason, err := stacks.AppStackStatus(ctx, app)
		require.NoError(t, err)
		if status == want {
			return
		}
		require.NotEqual(t, rack.AppFailed, status, "stack of %s failed: %s", app, reason)
		select {
		case <-ctx.Done():
			t.Fatalf("stack of %s still %s, not %s: %v", app, status, want, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitGone polls app's stack until it is not found.
func waitGone(t *testing.T, ctx context.Context, stacks *Stacks, app string) {
	t.Helper()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		status, reason, err := stacks.AppStackStatus(ctx, app)
		if rack.IsCode(err, rack.ENOTFOUND) {
			return
		}
		require.NoError(t, err)
		require.NotEqual(t, rack.AppFailed, status, "deleting the stack of %s failed: %s", app, reason)
		select {
		case <-ctx.Done():
			t.Fatalf("stack of %s still %s, not gone: %v", app, status, ctx.Err())
		case <-tick.C:
		}
	}
}

// TestRacksWithHyphensOnEmulator: rack a-b's app c and rack a's app b-c,
// whose stacks shared a name before the infix, get stacks of their own;
// each rack reads and deletes only its own, and a stack made without the
// rack's tags under an app stack's name stays.
func TestRacksWithHyphensOnEmulator(t *testing.T) {
	client := cloudformation.NewFromConfig(emulatortest.Config(t))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	base := emulatortest.Name("r")
	first, second := New(client, base+"-b"), New(client, base)
	require.NotEqual(t, names.AppStack(base+"-b", "c"), names.AppStack(base, "b-c"))
	for _, s := range []struct {
		stacks *Stacks
		app    string
	}{{first, "c"}, {second, "b-c"}} {
		stack := names.AppStack(s.stacks.rack, s.app)
		t.Cleanup(func() {
			_, _ = client.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stack)})
		})
		require.NoError(t, s.stacks.CreateAppStack(ctx, s.app))
		waitStatus(t, ctx, s.stacks, s.app, rack.AppRunning)
	}
	// Neither rack takes the other's stack for its own.
	_, _, err := first.AppStackStatus(ctx, "b-c")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)
	require.NoError(t, first.DeleteAppStack(ctx, "c"))
	waitGone(t, ctx, first, "c")
	status, _, err := second.AppStackStatus(ctx, "b-c")
	require.NoError(t, err)
	require.Equal(t, rack.AppRunning, status, "deleting rack a-b's app c left rack a's app b-c alone")

	// A stack of an app stack's name, made without the rack's tags.
	foreign := names.AppStack(base, "victim")
	_, err = client.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(foreign),
		TemplateBody: aws.String(`{"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/foreign/` + foreign + `"}}}}`),
	})
	emulatortest.Created(t, err)
	t.Cleanup(func() {
		_, _ = client.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(foreign)})
	})
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(second.CreateAppStack(ctx, "victim")))
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(second.DeleteAppStack(ctx, "victim")))
	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(foreign)})
	require.NoError(t, err)
	require.Len(t, out.Stacks, 1)
	require.Empty(t, out.Stacks[0].Tags, "the rack tagged nothing")
	require.NotEqual(t, types.StackStatusDeleteInProgress, out.Stacks[0].StackStatus)
	require.NotEqual(t, types.StackStatusDeleteComplete, out.Stacks[0].StackStatus)
}
