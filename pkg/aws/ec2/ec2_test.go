package ec2_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2api "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/aws/ec2"
)

// instances is EC2 with instances and their group tags, answering filters
// on instance-id and the group tag.
type instances struct {
	groups map[string]string // instance → group
	err    error
}

func (f instances) DescribeInstances(_ context.Context, in *ec2api.DescribeInstancesInput, _ ...func(*ec2api.Options)) (*ec2api.DescribeInstancesOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	filters := map[string]string{}
	for _, flt := range in.Filters {
		filters[aws.ToString(flt.Name)] = flt.Values[0]
	}
	out := &ec2api.DescribeInstancesOutput{}
	id := filters["instance-id"]
	if g, ok := f.groups[id]; ok && g == filters["tag:aws:autoscaling:groupName"] {
		out.Reservations = []types.Reservation{{Instances: []types.Instance{{InstanceId: aws.String(id)}}}}
	}
	return out, nil
}

func TestHas(t *testing.T) {
	g := ec2.New(instances{groups: map[string]string{"i-1": "dev-group", "i-2": "prod-group"}}, "dev-group")
	for id, want := range map[string]bool{"i-1": true, "i-2": false, "i-3": false} {
		got, err := g.Has(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, want, got, id)
	}
	_, err := ec2.New(instances{err: errors.New("throttled")}, "dev-group").Has(context.Background(), "i-1")
	require.ErrorContains(t, err, "describe instance i-1: throttled")
}
