package builds_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/trigger/builds"
)

// The samples are builds of app myapp on rack dev, by project dev-builder.
const buildID = "BPLMQWXZTRK"

type world struct {
	store   *memstore.Store
	handler *builds.Handler
	builder *fake.Builder
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldLogging(t, slog.NewTextHandler(t.Output(), nil))
}

// newWorldLogging is newWorld logging to h.
func newWorldLogging(t *testing.T, h slog.Handler) *world {
	t.Helper()
	store := memstore.New(nil)
	log := slog.New(h)
	core := service.NewCore(service.CoreConfig{Rack: "dev", Log: log})
	builder := fake.NewBuilder()
	svc := service.NewBuilds(core, store, service.BuildPorts{
		Builder: builder, Images: &fake.Images{}, Releaser: service.NewReleases(core, store, nil),
	})
	_, err := store.CreateApp(context.Background(), rack.App{Name: "myapp", Status: rack.AppRunning})
	require.NoError(t, err)
	_, err = store.CreateBuild(context.Background(), rack.Build{App: "myapp", ID: buildID, Status: rack.BuildCreated})
	require.NoError(t, err)
	return &world{store: store, handler: builds.New("dev", "dev-builder", svc, log), builder: builder}
}

func sample(t testing.TB, state string) awsevents.CloudWatchEvent {
	t.Helper()
	raw, err := os.ReadFile("../../../events/testdata/codebuild-build-state-" + state + ".json")
	require.NoError(t, err)
	var ev awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev
}

// withBuild points a sample at build id.
func withBuild(t testing.TB, ev awsevents.CloudWatchEvent, id string) awsevents.CloudWatchEvent {
	var d map[string]any
	require.NoError(t, json.Unmarshal(ev.Detail, &d))
	vars := d["additional-information"].(map[string]any)["environment"].(map[string]any)["environment-variables"].([]any)
	for _, v := range vars {
		if m := v.(map[string]any); m["name"] == "BUILD_ID" {
			m["value"] = id
		}
	}
	ev.Detail, _ = json.Marshal(d)
	return ev
}

func (w *world) build(t *testing.T) rack.Build {
	b, err := w.store.GetBuild(context.Background(), "myapp", buildID)
	require.NoError(t, err)
	return b
}

func (w *world) handle(t *testing.T, ev awsevents.CloudWatchEvent) {
	t.Helper()
	require.NoError(t, w.handler.Handle(context.Background(), withBuild(t, ev, buildID)))
}

func TestBuildRunsThenCompletes(t *testing.T) {
	w := newWorld(t)
	w.handle(t, sample(t, "in-progress"))
	b := w.build(t)
	require.Equal(t, rack.BuildRunning, b.Status)
	require.False(t, b.Started.IsZero())

	w.handle(t, sample(t, "succeeded"))
	b = w.build(t)
	require.Equal(t, rack.BuildComplete, b.Status)
	require.False(t, b.Ended.IsZero())
	require.Contains(t, b.Logs, "console.aws.amazon.com/cloudwatch")
	require.NotEmpty(t, b.LogGroup, "where its output is, as the event says")
	require.NotEmpty(t, b.LogStream)
	require.Equal(t, service.BuildReleaseID(buildID), b.Release, "a complete build makes its release")
	r, err := w.store.GetRelease(context.Background(), "myapp", b.Release)
	require.NoError(t, err)
	require.Equal(t, buildID, r.Build)

	// A replay and a late IN_PROGRESS change nothing.
	version := b.Version
	w.handle(t, sample(t, "succeeded"))
	w.handle(t, sample(t, "in-progress"))
	require.Equal(t, version, w.build(t).Version)
	require.Equal(t, rack.BuildComplete, w.build(t).Status)
}

// TestTheScheduleSweeps: the one-minute rule's event runs the sweep,
// which completes a build its job says is done.
func TestTheScheduleSweeps(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	job, err := w.builder.StartJob(ctx, rack.BuildJob{App: "myapp", Build: buildID})
	require.NoError(t, err)
	b := w.build(t)
	b.Job, b.Status = job.ID, rack.BuildRunning
	_, err = w.store.UpdateBuild(ctx, b, rack.BuildCreated)
	require.NoError(t, err)
	w.builder.Finish(buildID, rack.BuildComplete, "")
	var tick awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal([]byte(`{"version":"0","id":"s","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`), &tick))
	require.NoError(t, w.handler.Handle(ctx, tick))
	require.Equal(t, rack.BuildComplete, w.build(t).Status)
}

func TestFailedBuildSaysWhy(t *testing.T) {
	w := newWorld(t)
	w.handle(t, sample(t, "failed")) // its IN_PROGRESS never came
	b := w.build(t)
	require.Equal(t, rack.BuildFailed, b.Status)
	require.Equal(t, "BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: ./build.sh. Reason: exit status 2", b.Reason)
	w.handle(t, sample(t, "succeeded"))
	require.Equal(t, rack.BuildFailed, w.build(t).Status, "a failed build stays failed")
}

func TestIgnored(t *testing.T) {
	for name, ev := range map[string]func(t *testing.T) awsevents.CloudWatchEvent{
		"another project": func(t *testing.T) awsevents.CloudWatchEvent {
			ev := sample(t, "succeeded")
			var d map[string]any
			require.NoError(t, json.Unmarshal(ev.Detail, &d))
			d["project-name"] = "prod-builder"
			ev.Detail, _ = json.Marshal(d)
			return ev
		},
		"an unknown build": func(t *testing.T) awsevents.CloudWatchEvent {
			return withBuild(t, sample(t, "succeeded"), "BZZZZZZZZZZ")
		},
		"a malformed build id": func(t *testing.T) awsevents.CloudWatchEvent {
			return withBuild(t, sample(t, "succeeded"), "not-an-id")
		},
		"another kind of event": func(t *testing.T) awsevents.CloudWatchEvent {
			ev := sample(t, "succeeded")
			ev.DetailType = "CodeBuild Build Phase Change"
			return ev
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			ev := ev(t)
			require.NoError(t, w.handler.Handle(context.Background(), ev))
			require.Equal(t, rack.BuildCreated, w.build(t).Status)
		})
	}
}

func TestUnreadableEventFails(t *testing.T) {
	w := newWorld(t)
	ev := sample(t, "succeeded")
	ev.Detail = json.RawMessage(`{"build-status": 7}`)
	require.Error(t, w.handler.Handle(context.Background(), ev))
}
