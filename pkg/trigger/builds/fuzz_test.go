package builds_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/rackhq/rack/pkg/rack"
)

// FuzzHandle: whatever event reaches the builds function (any source,
// detail type and detail), it answers without panicking, and the build
// only moves forward: a finished build stays as it finished.
func FuzzHandle(f *testing.F) {
	for _, state := range []string{"in-progress", "succeeded", "failed"} {
		raw, err := json.Marshal(withBuild(f, sample(f, state), buildID))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	f.Add([]byte(`{"source":"aws.codebuild","detail-type":"CodeBuild Build State Change","detail":{"build-status":"SUCCEEDED"}}`))
	f.Add([]byte(`{"detail":[1,2]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev awsevents.CloudWatchEvent
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		w := newWorldLogging(t, slog.DiscardHandler) // thousands of runs: no log
		ctx := context.Background()
		_ = w.handler.Handle(ctx, ev)
		first := w.build(t).Status
		_ = w.handler.Handle(ctx, ev)                                              // a replay
		_ = w.handler.Handle(ctx, withBuild(t, sample(t, "in-progress"), buildID)) // a late IN_PROGRESS
		again := w.build(t).Status
		if first.Finished() && again != first {
			t.Fatalf("a %s build became %s", first, again)
		}
		if !first.CanMoveTo(again) && first != again {
			t.Fatalf("a build moved back from %s to %s", first, again)
		}
		if again == rack.BuildComplete && w.build(t).Release == "" {
			t.Fatal("a complete build without its release")
		}
	})
}
