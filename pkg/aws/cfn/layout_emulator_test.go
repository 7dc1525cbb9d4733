package cfn

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

var _ service.RackLayout = (*Layout)(nil)

// TestRouterOnEmulator: a rack whose apps need no balancer has no router;
// the first that needs one has it made, waits, and then gets its
// listeners; an internal balancer is added when one is needed; and the
// router goes when removed.
func TestRouterOnEmulator(t *testing.T) {
	client := cloudformation.NewFromConfig(emulatortest.Config(t))
	rackName := emulatortest.Name("l")
	layout := NewLayout(client, appstack.Rack{Name: rackName, Cluster: rackName + "-cluster", VPC: "vpc-12345678", Subnets: []string{"subnet-1", "subnet-2"}}, "", "")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		_, _ = client.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(names.RouterStack(rackName))})
	})

	r, ready, err := layout.StackRack(ctx, false, false)
	require.NoError(t, err)
	require.True(t, ready)
	require.Nil(t, r.Router)
	_, err = client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(names.RouterStack(rackName))})
	require.Error(t, err, "no router without a service with a port")

	r, ready, err = layout.StackRack(ctx, true, false)
	require.NoError(t, err)
	require.False(t, ready, "the router is being made")
	require.Eventually(t, func() bool {
		r, ready, err = layout.StackRack(ctx, true, false)
		require.NoError(t, err)
		return ready
	}, time.Minute, 50*time.Millisecond)
	require.NotNil(t, r.Router)
	require.Contains(t, r.Router.HTTP, ":listener/")
	require.Empty(t, r.Router.HTTPS, "no certificate, no HTTPS")
	require.Empty(t, r.Router.InternalHTTP)
	require.NotEmpty(t, r.Router.SecurityGroup)

	_, ready, err = layout.StackRack(ctx, true, true)
	require.NoError(t, err)
	require.False(t, ready, "the internal balancer is being added")
	require.Eventually(t, func() bool {
		r, ready, err = layout.StackRack(ctx, true, true)
		require.NoError(t, err)
		return ready
	}, time.Minute, 50*time.Millisecond)
	require.Contains(t, r.Router.InternalHTTP, ":listener/")
	require.Contains(t, r.Router.HTTP, ":listener/")

	require.NoError(t, layout.RemoveRouter(ctx))
	require.Eventually(t, func() bool {
		_, err := layout.router(ctx)
		return err != nil
	}, time.Minute, 50*time.Millisecond)
	require.NoError(t, layout.RemoveRouter(ctx), "removing no router is no error")
}
