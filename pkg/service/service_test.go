package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/testkit/storetest"
)

type world struct {
	store    *memstore.Store
	stacks   *fake.Stacks
	events   *fake.Events
	sources  *fake.Sources
	builder  *fake.Builder
	logs     *fake.Logs
	images   *fake.Images
	apps     *service.Apps
	builds   *service.Builds
	releases *service.Releases
	clock    *storetest.Clock
}

func newWorld() *world {
	clock := storetest.NewClock()
	w := &world{store: memstore.New(clock.Now), stacks: fake.NewStacks(), events: &fake.Events{}, clock: clock}
	core := service.NewCore(service.CoreConfig{Rack: "dev", Events: w.events, Now: clock.Now})
	w.apps = service.NewApps(core, w.store, w.stacks)
	w.releases = service.NewReleases(core, w.store, fake.Sealer{})
	w.sources, w.builder, w.logs, w.images = fake.NewSources(), fake.NewBuilder(), fake.NewLogs(), &fake.Images{}
	w.builds = service.NewBuilds(core, w.store, service.BuildPorts{
		Sources: w.sources, Builder: w.builder, Logs: w.logs, Images: w.images, Releaser: w.releases,
		Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", Retention: 3,
	})
	return w
}

func requireCode(t *testing.T, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, rack.ErrorCode(err), "error: %v", err)
}

func TestReleaseOfABuild(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	env := rack.Environment{"A": "1"}
	r1, err := w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Env: &env})
	require.NoError(t, err)

	id := "BAAAAAAAAAB"
	_, err = w.store.CreateBuild(ctx, rack.Build{App: "web", ID: id, Status: rack.BuildRunning, Manifest: "services: {web: {}}"})
	require.NoError(t, err)
	_, err = w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &id})
	requireCode(t, rack.EINVALID, err)
	require.Contains(t, err.Error(), "not complete")

	b, err := w.builds.ApplyBuildProgress(ctx, "web", id, service.BuildProgress{Status: rack.BuildComplete})
	require.NoError(t, err)
	require.Equal(t, "RAAAAAAAAAB", b.Release, "a complete build makes its release, named after it")
	own, ownEnv, err := w.releases.GetRelease(ctx, "web", b.Release)
	require.NoError(t, err)
	require.Equal(t, id, own.Build)
	require.Equal(t, env, ownEnv, "with the app's environment")
	require.Equal(t, "build "+id, own.Description)
	r2, err := w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &id})
	require.NoError(t, err)
	require.Equal(t, id, r2.Build)
	require.Equal(t, "services: {web: {}}", r2.Manifest)
	require.Equal(t, "build "+id, r2.Description)
	require.Equal(t, r1.Env, r2.Env, "the environment carries over, still sealed")

	_, got, err := w.releases.GetRelease(ctx, "web", r2.ID)
	require.NoError(t, err)
	require.Equal(t, env, got)
	require.Equal(t, []string{"release:create success", "release:create success", "build:create success", "release:create success"}, w.events.Actions())
}

func TestAFailedBuildAnnouncesItsReason(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	_, err = w.store.CreateBuild(ctx, rack.Build{App: "web", ID: "BAAAAAAAAAC", Status: rack.BuildCreated})
	require.NoError(t, err)
	b, err := w.builds.ApplyBuildProgress(ctx, "web", "BAAAAAAAAAC", service.BuildProgress{Status: rack.BuildFailed, Reason: "BUILD: exit 2"})
	require.NoError(t, err)
	require.Equal(t, "BUILD: exit 2", b.Reason)
	require.Equal(t, []string{"build:create error"}, w.events.Actions())
	_, err = w.builds.ApplyBuildProgress(ctx, "web", "BZZZZZZZZZZ", service.BuildProgress{Status: rack.BuildRunning})
	requireCode(t, rack.ENOTFOUND, err)
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)

	// A creating app whose stack is missing is new (its stack is asked for
	// right after it is recorded) for a minute, then failed, once the
	// sweep looks.
	w.stacks.Set("web", "")
	app, err := w.apps.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppCreating, app.Status, "a read does not look at the stack")
	require.NoError(t, w.apps.ReconcileApps(ctx))
	app, err = w.apps.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppCreating, app.Status, "within a minute of its creation")
	w.clock.Advance(time.Minute)
	require.NoError(t, w.apps.ReconcileApps(ctx))
	app, err = w.apps.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppFailed, app.Status)
	require.Equal(t, []string{"app:create error"}, w.events.Actions())

	// A failed app can be deleted; an updating one must wait.
	_, err = w.apps.CreateApp(ctx, "api")
	require.NoError(t, err)
	w.stacks.Set("api", rack.AppRunning)
	require.NoError(t, w.apps.ReconcileApps(ctx))
	w.stacks.Set("api", rack.AppUpdating) // as its stack status event says
	app, err = w.apps.ApplyStackStatus(ctx, "api", rack.AppUpdating, "")
	require.NoError(t, err)
	require.Equal(t, rack.AppUpdating, app.Status)
	_, err = w.apps.DeleteApp(ctx, "api")
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "wait")

	app, err = w.apps.DeleteApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppDeleting, app.Status)
	require.NoError(t, w.apps.ReconcileApps(ctx))
	_, err = w.store.GetApp(ctx, "web")
	requireCode(t, rack.ENOTFOUND, err)

	// A stack read that fails is an error of that app, not a status, and
	// the sweep goes on to the others.
	_, err = w.apps.CreateApp(ctx, "zzz")
	require.NoError(t, err)
	w.stacks.Set("zzz", rack.AppRunning)
	broken := service.NewApps(service.NewCore(service.CoreConfig{Rack: "dev"}), w.store, failingStacks{w.stacks, "api"})
	err = broken.ReconcileApps(ctx)
	require.EqualError(t, err, "app api: throttled")
	app, err = w.apps.GetApp(ctx, "zzz")
	require.NoError(t, err)
	require.Equal(t, rack.AppRunning, app.Status, "the app after the failing one was reconciled")
}

// TestDeleteLooksAtTheStack: a delete, a write, first brings the app up to
// date with its stack, so an update that finished but whose event has not
// arrived does not block it.
func TestDeleteLooksAtTheStack(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	w.stacks.Set("web", rack.AppRunning)
	_, err = w.apps.ApplyStackStatus(ctx, "web", rack.AppRunning, "")
	require.NoError(t, err)
	_, err = w.apps.ApplyStackStatus(ctx, "web", rack.AppUpdating, "")
	require.NoError(t, err)
	app, err := w.apps.DeleteApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppDeleting, app.Status)
}

// TestReadsDoNotWrite: reading apps reads the store once and nothing else,
// whatever their stacks are doing.
func TestReadsDoNotWrite(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	for _, name := range []string{"creating", "deleting", "gone", "updating"} {
		_, err := w.apps.CreateApp(ctx, name)
		require.NoError(t, err)
	}
	w.stacks.Set("creating", rack.AppRunning)
	w.stacks.Set("gone", "")
	_, err := w.apps.ApplyStackStatus(ctx, "updating", rack.AppRunning, "")
	require.NoError(t, err)
	_, err = w.apps.ApplyStackStatus(ctx, "updating", rack.AppUpdating, "")
	require.NoError(t, err)
	_, err = w.apps.DeleteApp(ctx, "deleting")
	require.NoError(t, err)
	w.stacks.Set("deleting", "")
	before, _, err := w.store.ListApps(ctx, rack.Page{})
	require.NoError(t, err)
	events, reads := len(w.events.Actions()), w.stacks.Reads

	for range 3 {
		apps, _, err := w.apps.ListApps(ctx, rack.Page{})
		require.NoError(t, err)
		require.Equal(t, before, apps)
		for _, a := range before {
			got, err := w.apps.GetApp(ctx, a.Name)
			require.NoError(t, err)
			require.Equal(t, a, got)
		}
	}
	after, _, err := w.store.ListApps(ctx, rack.Page{})
	require.NoError(t, err)
	require.Equal(t, before, after, "nothing written")
	require.Equal(t, reads, w.stacks.Reads, "no stack read")
	require.Len(t, w.events.Actions(), events, "no event")
}

// TestForeignStack: an app whose stack name is taken by a stack the rack
// did not make is a conflict, records nothing, and the stack stays.
func TestForeignStack(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.stacks.Foreign("victim")
	_, err := w.apps.CreateApp(ctx, "victim")
	requireCode(t, rack.ECONFLICT, err)
	_, err = w.apps.GetApp(ctx, "victim")
	requireCode(t, rack.ENOTFOUND, err)
	require.True(t, w.stacks.HasForeign("victim"))

	// An app whose stack was replaced by someone else's: the sweep marks it
	// failed, saying why, and deleting it leaves the other stack alone.
	_, err = w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	w.stacks.Foreign("web")
	require.NoError(t, w.apps.ReconcileApps(ctx))
	app, err := w.apps.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppFailed, app.Status)
	_, err = w.apps.DeleteApp(ctx, "web")
	requireCode(t, rack.ECONFLICT, err)
	require.True(t, w.stacks.HasForeign("web"))
}

type failingStacks struct {
	*fake.Stacks
	app string
}

func (f failingStacks) AppStackStatus(ctx context.Context, app string) (rack.AppStatus, string, error) {
	if app == f.app {
		return "", "", errors.New("throttled")
	}
	return f.Stacks.AppStackStatus(ctx, app)
}

func TestSystem(t *testing.T) {
	sys, err := service.NewSystem(rack.System{Name: "dev", Region: "eu-west-1"}).System(context.Background())
	require.NoError(t, err)
	require.Equal(t, rack.System{Name: "dev", Region: "eu-west-1", Provider: "aws", Status: rack.SystemRunning}, sys)
}

// TestAnAppWithoutALatestRelease: an app recorded before apps kept their
// latest release makes its next release from its newest one.
func TestAnAppWithoutALatestRelease(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	env := rack.Environment{"A": "1"}
	first, err := w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Env: &env})
	require.NoError(t, err)
	w.store.ForgetLatest("web")

	got, parent, err := w.releases.LatestEnvironment(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, env, got, "the newest release's environment")
	require.Empty(t, parent)
	next, err := w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Env: &rack.Environment{"A": "1", "B": "2"}, Parent: &parent})
	require.NoError(t, err)
	require.Empty(t, next.Parent)
	require.Equal(t, "env add:B", next.Description, "made from the newest release")
	app, err := w.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, next.ID, app.Latest, "from now on the app has a latest")
	_, err = w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Env: &env, Parent: &first.Parent})
	requireCode(t, rack.ECONFLICT, err)
}
