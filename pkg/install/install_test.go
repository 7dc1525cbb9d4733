package install

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

func TestStackParamsKeepTheRest(t *testing.T) {
	got := stackParams(map[string]string{"B": "2", "A": "1"}, []string{"A", "C"})
	require.Equal(t, []cfntypes.Parameter{
		{ParameterKey: aws.String("A"), ParameterValue: aws.String("1")},
		{ParameterKey: aws.String("B"), ParameterValue: aws.String("2")},
		{ParameterKey: aws.String("C"), UsePreviousValue: aws.Bool(true)},
	}, got)
}

func TestValidateName(t *testing.T) {
	require.NoError(t, rack.ValidateRackName("dev"))
	for _, bad := range []string{"", "Dev", "my_rack", "-x", "a-very-long-rack-name-over-thirty"} {
		require.Equal(t, rack.EINVALID, rack.ErrorCode(rack.ValidateRackName(bad)), bad)
	}
}

// events is a CloudFormation whose DescribeStackEvents pages a fixed list,
// newest first as CloudFormation does.
type events struct {
	CloudFormation
	list []cfntypes.StackEvent
}

func (e *events) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	start := 0
	if in.NextToken != nil {
		start = int(aws.ToString(in.NextToken)[0] - '0')
	}
	end := min(start+2, len(e.list))
	out := &cloudformation.DescribeStackEventsOutput{StackEvents: e.list[start:end]}
	if end < len(e.list) {
		out.NextToken = aws.String(string(rune('0' + end)))
	}
	return out, nil
}

func event(id string, at time.Time, resource string, status cfntypes.ResourceStatus, reason string) cfntypes.StackEvent {
	return cfntypes.StackEvent{
		EventId: aws.String(id), Timestamp: aws.Time(at), ResourceType: aws.String("AWS::S3::Bucket"),
		LogicalResourceId: aws.String(resource), ResourceStatus: status, ResourceStatusReason: aws.String(reason),
	}
}

func TestShowEventsOnceOldestFirst(t *testing.T) {
	start := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	cfn := &events{list: []cfntypes.StackEvent{
		event("3", start.Add(3*time.Second), "Storage", cfntypes.ResourceStatusCreateFailed, "Bucket exists"),
		event("2", start.Add(2*time.Second), "Storage", cfntypes.ResourceStatusCreateInProgress, ""),
		event("1", start.Add(time.Second), "Table", cfntypes.ResourceStatusCreateComplete, ""),
		event("0", start.Add(-time.Hour), "Old", cfntypes.ResourceStatusCreateComplete, "an earlier operation"),
	}}
	var out bytes.Buffer
	i := &Installer{CFN: cfn, Events: &out}
	seen := map[string]bool{}
	i.showEvents(context.Background(), "stack-id", start, seen)
	require.Equal(t, ""+
		"AWS::S3::Bucket              Table                                    CREATE_COMPLETE\n"+
		"AWS::S3::Bucket              Storage                                  CREATE_IN_PROGRESS\n"+
		"AWS::S3::Bucket              Storage                                  CREATE_FAILED  Bucket exists\n", out.String())

	out.Reset()
	i.showEvents(context.Background(), "stack-id", start, seen)
	require.Empty(t, out.String(), "an event is shown once")
}
