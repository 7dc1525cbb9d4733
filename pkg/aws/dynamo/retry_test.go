package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/testkit/storetest"
)

// lostAnswers sends every write twice and answers the second result, as
// when the SDK retries a request whose first answer was lost after
// DynamoDB had applied it (seen on the emulator as a checksum mismatch).
type lostAnswers struct {
	*dynamodb.Client
}

func (l lostAnswers) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if _, err := l.Client.PutItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return l.Client.PutItem(ctx, in, opts...)
}

func (l lostAnswers) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if _, err := l.Client.UpdateItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return l.Client.UpdateItem(ctx, in, opts...)
}

func (l lostAnswers) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if _, err := l.Client.TransactWriteItems(ctx, in, opts...); err != nil {
		return nil, err
	}
	// A new request token, as the retry of a request whose token the
	// service no longer remembers: only the item can tell.
	retry := *in
	retry.ClientRequestToken = nil
	return l.Client.TransactWriteItems(ctx, &retry, opts...)
}

// TestRetriedWritesSucceed: a conditional write whose first attempt went
// through must not fail its own retry with a conflict.
func TestRetriedWritesSucceed(t *testing.T) {
	db := dynamodb.NewFromConfig(emulatortest.Config(t))
	clock := storetest.NewClock()
	s := dynamo.New(lostAnswers{db}, emulatortest.NewTable(t, db), clock.Now)
	ctx := context.Background()

	app, err := s.CreateApp(ctx, rack.App{Name: "web", Status: rack.AppCreating})
	require.NoError(t, err)
	app.Status = rack.AppRunning
	app, err = s.UpdateApp(ctx, app, rack.AppCreating)
	require.NoError(t, err)
	require.Equal(t, int64(2), app.Version)

	b, err := s.CreateBuild(ctx, rack.Build{App: "web", ID: storetest.ID(rack.BuildIDPrefix, 1), Status: rack.BuildCreated})
	require.NoError(t, err)
	b.Status = rack.BuildRunning
	_, err = s.UpdateBuild(ctx, b, rack.BuildCreated)
	require.NoError(t, err)
	_, err = s.CreateRelease(ctx, rack.Release{App: "web", ID: storetest.ID(rack.ReleaseIDPrefix, 1), Status: rack.ReleaseCreated})
	require.NoError(t, err)

	st, err := s.PutSetting(ctx, rack.Setting{Name: "password", Value: []byte("h")})
	require.NoError(t, err)
	_, err = s.PutSetting(ctx, st)
	require.NoError(t, err)

	_, fresh, err := s.BeginIdempotent(ctx, "request", time.Hour)
	require.NoError(t, err)
	require.True(t, fresh, "the caller whose begin went through does the work")
	require.NoError(t, s.CompleteIdempotent(ctx, "request", []byte("done")))

	// A write that truly lost still conflicts.
	_, err = s.CreateApp(ctx, rack.App{Name: "web", Status: rack.AppCreating})
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err))
	_, err = s.CreateBuild(ctx, rack.Build{App: "web", ID: storetest.ID(rack.BuildIDPrefix, 1), Status: rack.BuildCreated})
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err))
}
