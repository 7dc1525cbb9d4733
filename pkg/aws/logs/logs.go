// Package logs reads the rack's CloudWatch Logs streams: builds' output.
package logs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the CloudWatch Logs client the reader uses.
type API interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Reader reads log streams; it satisfies service.LogReader.
type Reader struct{ api API }

// New returns a reader.
func New(api API) *Reader { return &Reader{api: api} }

// ReadLog returns stream's events after cursor, oldest first, and the
// cursor to read on from (the same cursor when there is nothing new). A
// stream or group not there yet has no events.
func (r *Reader) ReadLog(ctx context.Context, group, stream, cursor string, limit int) ([]rack.LogEvent, string, error) {
	in := &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		StartFromHead: aws.Bool(true),
		Limit:         aws.Int32(int32(min(max(limit, 1), 10000))),
	}
	if cursor != "" {
		in.NextToken = aws.String(cursor)
	}
	out, err := r.api.GetLogEvents(ctx, in)
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return nil, cursor, nil
	case err != nil:
		var invalid *types.InvalidParameterException
		if errors.As(err, &invalid) && cursor != "" {
			return nil, "", rack.Errorf(rack.EINVALID, "the log cursor is not one this build's log gave")
		}
		return nil, "", fmt.Errorf("read log %s/%s: %w", group, stream, err)
	}
	evs := make([]rack.LogEvent, 0, len(out.Events))
	for _, e := range out.Events {
		evs = append(evs, rack.LogEvent{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Message: aws.ToString(e.Message)})
	}
	return evs, aws.ToString(out.NextForwardToken), nil
}

// FilterAPI is the part of the CloudWatch Logs client an app's logs use.
type FilterAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Group reads one log group across its streams.
type Group struct{ api FilterAPI }

// NewGroup returns a group reader.
func NewGroup(api FilterAPI) *Group { return &Group{api: api} }

// filterPages bounds the pages of one read: 10,000 events each at most.
const filterPages = 10

// GroupEvents returns group's events from start on, oldest first, that
// match pattern (CloudWatch Logs' filter syntax; "" matches all), at most
// limit, of the streams whose names start with prefix ("" for all); a
// group not there yet has none.
func (g *Group) GroupEvents(ctx context.Context, group, prefix string, start time.Time, pattern string, limit int) ([]rack.LogEvent, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(group),
		StartTime:    aws.Int64(start.UnixMilli()),
		Limit:        aws.Int32(int32(min(max(limit, 1), 10000))),
	}
	if pattern != "" {
		in.FilterPattern = aws.String(pattern)
	}
	if prefix != "" {
		in.LogStreamNamePrefix = aws.String(prefix)
	}
	var evs []rack.LogEvent
	for range filterPages {
		out, err := g.api.FilterLogEvents(ctx, in)
		var missing *types.ResourceNotFoundException
		switch {
		case errors.As(err, &missing):
			return nil, nil
		case err != nil:
			var invalid *types.InvalidParameterException
			if errors.As(err, &invalid) {
				return nil, rack.Errorf(rack.EINVALID, "the filter %q is not one CloudWatch Logs takes", pattern)
			}
			return nil, fmt.Errorf("read log group %s: %w", group, err)
		}
		for _, e := range out.Events {
			if !strings.HasPrefix(aws.ToString(e.LogStreamName), prefix) {
				continue // a reader that ignores the prefix
			}
			evs = append(evs, rack.LogEvent{
				Time:    time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(),
				Message: aws.ToString(e.Message),
				Stream:  aws.ToString(e.LogStreamName), // service/<service>/<task>, as the rack's task definitions name it
				ID:      aws.ToString(e.EventId),
			})
		}
		if aws.ToString(out.NextToken) == "" || len(evs) >= limit {
			break
		}
		in.NextToken = out.NextToken
	}
	return evs, nil
}
