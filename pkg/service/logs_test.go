package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
)

// system is deploy events in memory.
type system []rack.LogEvent

func (s *system) LogEvents(_ context.Context, _ string, since time.Time) ([]rack.LogEvent, error) {
	var out []rack.LogEvent
	for _, e := range *s {
		if !e.Time.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}

func messages(evs []rack.LogEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Stream+" "+e.Message)
	}
	return out
}

func TestAppLogsInOrderWithoutDuplicates(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	groups, sys := fake.NewLogGroups(), &system{}
	logs := service.NewLogs(service.NewCore(service.CoreConfig{Rack: "dev", Now: w.clock.Now}), w.store, groups, sys)
	group := names.LogGroup("dev", "web")
	t0 := w.clock.Now()
	groups.Put(group,
		rack.LogEvent{Time: t0.Add(-time.Hour), Stream: "service/web/1", Message: "too old", ID: "e0"},
		rack.LogEvent{Time: t0.Add(-time.Minute), Stream: "service/web/1", Message: "listening", ID: "e1"},
		rack.LogEvent{Time: t0.Add(-time.Minute), Stream: "service/web/2", Message: "listening too", ID: "e2"},
	)
	*sys = append(*sys, rack.LogEvent{Time: t0.Add(-90 * time.Second), Stream: "system/cloudformation", Message: "aws/cfm dev-App-web UPDATE_COMPLETE ServiceWeb", ID: "s1"})

	page, err := logs.AppLogs(ctx, "web", service.LogQuery{Since: 2 * time.Minute})
	require.NoError(t, err)
	require.Equal(t, []string{
		"system/cloudformation aws/cfm dev-App-web UPDATE_COMPLETE ServiceWeb",
		"service/web/1 listening",
		"service/web/2 listening too",
	}, messages(page.Events))

	// The same millisecond again, and a new event in it: only the new one.
	groups.Put(group, rack.LogEvent{Time: t0.Add(-time.Minute), Stream: "service/web/3", Message: "late", ID: "e3"})
	page, err = logs.AppLogs(ctx, "web", service.LogQuery{Cursor: page.Next})
	require.NoError(t, err)
	require.Equal(t, []string{"service/web/3 late"}, messages(page.Events))
	page, err = logs.AppLogs(ctx, "web", service.LogQuery{Cursor: page.Next})
	require.NoError(t, err)
	require.Empty(t, page.Events, "nothing twice")

	// Following: a read waits, and answers with what came meanwhile.
	logs.Wait, logs.Poll = 10*time.Second, time.Second
	polls, written := 0, false
	logs.Sleep = func(context.Context, time.Duration) error {
		polls++
		w.clock.Advance(time.Second)
		if polls == 3 && !written {
			written = true
			groups.Put(group, rack.LogEvent{Time: w.clock.Now(), Stream: "service/web/1", Message: "GET /", ID: "e4"})
		}
		return nil
	}
	page, err = logs.AppLogs(ctx, "web", service.LogQuery{Cursor: page.Next, Follow: true})
	require.NoError(t, err)
	require.Equal(t, []string{"service/web/1 GET /"}, messages(page.Events))
	require.Equal(t, 3, polls)
	// Nothing new: after Wait, an empty page and the same place.
	polls = 0
	again, err := logs.AppLogs(ctx, "web", service.LogQuery{Cursor: page.Next, Follow: true})
	require.NoError(t, err)
	require.Empty(t, again.Events)
	require.Equal(t, page.Next, again.Next)
	require.Equal(t, 10, polls)

	// A filter applies to every source.
	page, err = logs.AppLogs(ctx, "web", service.LogQuery{Since: 2 * time.Minute, Filter: "listening"})
	require.NoError(t, err)
	require.Equal(t, []string{"service/web/1 listening", "service/web/2 listening too"}, messages(page.Events))
	page, err = logs.AppLogs(ctx, "web", service.LogQuery{Since: 2 * time.Minute, Filter: "UPDATE_COMPLETE"})
	require.NoError(t, err)
	require.Len(t, page.Events, 1)

	for _, q := range []service.LogQuery{{Cursor: "!!"}, {Cursor: "e30"}, {Since: -time.Second}, {Since: 15 * 24 * time.Hour}, {Limit: 20000}} {
		_, err := logs.AppLogs(ctx, "web", q)
		requireCode(t, rack.EINVALID, err)
	}
	_, err = logs.AppLogs(ctx, "nope", service.LogQuery{})
	requireCode(t, rack.ENOTFOUND, err)
}
