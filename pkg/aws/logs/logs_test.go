package logs_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/aws/logs"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

// TestReadLogOnEmulator pages a stream forward: each page from the last
// one's cursor, an empty page (and the same cursor) at the end, and a
// stream not written yet as no events.
func TestReadLogOnEmulator(t *testing.T) {
	client := cloudwatchlogs.NewFromConfig(emulatortest.Config(t))
	group, stream := emulatortest.Name("/builds/"), "job"
	_, err := client.CreateLogGroup(t.Context(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	require.NoError(t, err)
	r := logs.New(client)

	evs, next, err := r.ReadLog(t.Context(), group, stream, "", 10)
	require.NoError(t, err)
	require.Empty(t, evs, "a stream not written yet")
	require.Empty(t, next)

	_, err = client.CreateLogStream(t.Context(), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	require.NoError(t, err)
	at := time.Now().Truncate(time.Millisecond).UTC()
	var in []types.InputLogEvent
	for _, m := range []string{"one\n", "two\n", "three\n"} {
		in = append(in, types.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(at.UnixMilli())})
	}
	_, err = client.PutLogEvents(t.Context(), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: in})
	require.NoError(t, err)

	evs, next, err = r.ReadLog(t.Context(), group, stream, "", 2)
	require.NoError(t, err)
	require.Equal(t, []rack.LogEvent{{Time: at, Message: "one\n"}, {Time: at, Message: "two\n"}}, evs)
	evs, next, err = r.ReadLog(t.Context(), group, stream, next, 2)
	require.NoError(t, err)
	require.Equal(t, []rack.LogEvent{{Time: at, Message: "three\n"}}, evs)
	evs, again, err := r.ReadLog(t.Context(), group, stream, next, 2)
	require.NoError(t, err)
	require.Empty(t, evs)
	require.NotEmpty(t, again)
}
