package service_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/fake"
	"github.com/rackhq/rack/pkg/memstore"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

type world struct {
	store  *memstore.Store
	stacks *fake.Stacks
	events *fake.Events
	svc    *service.Service
}

func newWorld() *world {
	w := &world{store: memstore.New(nil), stacks: fake.NewStacks(), events: &fake.Events{}}
	w.svc = service.New(service.Config{Store: w.store, Stacks: w.stacks, Sealer: fake.Sealer{}, Events: w.events})
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
	_, err := w.svc.CreateApp(ctx, "web")
	require.NoError(t, err)
	env := rack.Environment{"A": "1"}
	r1, err := w.svc.CreateRelease(ctx, "web", service.ReleaseOptions{Env: &env})
	require.NoError(t, err)

	id := "BAAAAAAAAAB"
	_, err = w.store.CreateBuild(ctx, rack.Build{App: "web", ID: id, Status: rack.BuildRunning, Manifest: "services: {web: {}}"})
	require.NoError(t, err)
	_, err = w.svc.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &id})
	requireCode(t, rack.EINVALID, err)
	require.Contains(t, err.Error(), "not complete")

	_, err = w.svc.ApplyBuildProgress(ctx, "web", id, service.BuildProgress{Status: rack.BuildComplete})
	require.NoError(t, err)
	r2, err := w.svc.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &id})
	require.NoError(t, err)
	require.Equal(t, id, r2.Build)
	require.Equal(t, "services: {web: {}}", r2.Manifest)
	require.Equal(t, "build "+id, r2.Description)
	require.Equal(t, r1.Env, r2.Env, "the environment carries over, still sealed")

	_, got, err := w.svc.GetRelease(ctx, "web", r2.ID)
	require.NoError(t, err)
	require.Equal(t, env, got)
	require.Equal(t, []string{"release:create success", "build:create success", "release:create success"}, w.events.Actions())
}

func TestAFailedBuildAnnouncesItsReason(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.svc.CreateApp(ctx, "web")
	require.NoError(t, err)
	_, err = w.store.CreateBuild(ctx, rack.Build{App: "web", ID: "BAAAAAAAAAC", Status: rack.BuildCreated})
	require.NoError(t, err)
	b, err := w.svc.ApplyBuildProgress(ctx, "web", "BAAAAAAAAAC", service.BuildProgress{Status: rack.BuildFailed, Reason: "BUILD: exit 2"})
	require.NoError(t, err)
	require.Equal(t, "BUILD: exit 2", b.Reason)
	require.Equal(t, []string{"build:create error"}, w.events.Actions())
	_, err = w.svc.ApplyBuildProgress(ctx, "web", "BZZZZZZZZZZ", service.BuildProgress{Status: rack.BuildRunning})
	requireCode(t, rack.ENOTFOUND, err)
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	_, err := w.svc.CreateApp(ctx, "web")
	require.NoError(t, err)

	// A creating app whose stack vanished has failed.
	w.stacks.Set("web", "")
	app, err := w.svc.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppFailed, app.Status)
	require.Equal(t, []string{"app:create error"}, w.events.Actions())

	// A failed app can be deleted; an updating one must wait.
	_, err = w.svc.CreateApp(ctx, "api")
	require.NoError(t, err)
	w.stacks.Set("api", rack.AppRunning)
	_, err = w.svc.GetApp(ctx, "api")
	require.NoError(t, err)
	w.stacks.Set("api", rack.AppUpdating) // as its stack status event says
	app, err = w.svc.ApplyStackStatus(ctx, "api", rack.AppUpdating, "")
	require.NoError(t, err)
	require.Equal(t, rack.AppUpdating, app.Status)
	_, err = w.svc.DeleteApp(ctx, "api")
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "wait")

	app, err = w.svc.DeleteApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, rack.AppDeleting, app.Status)
	require.NoError(t, w.svc.ReconcileApps(ctx))
	_, err = w.store.GetApp(ctx, "web")
	requireCode(t, rack.ENOTFOUND, err)

	// A stack read that fails is an error, not a status.
	w.stacks.Set("api", rack.AppUpdating)
	broken := service.New(service.Config{Store: w.store, Stacks: failingStacks{w.stacks}, Sealer: fake.Sealer{}})
	_, err = broken.GetApp(ctx, "api")
	requireCode(t, rack.EINTERNAL, err)
}

type failingStacks struct{ *fake.Stacks }

func (failingStacks) AppStackStatus(context.Context, string) (rack.AppStatus, string, error) {
	return "", "", errors.New("throttled")
}

func TestSystem(t *testing.T) {
	svc := service.New(service.Config{System: rack.System{Name: "dev", Region: "eu-west-1"}})
	sys, err := svc.System(context.Background())
	require.NoError(t, err)
	require.Equal(t, rack.System{Name: "dev", Region: "eu-west-1", Provider: "aws", Status: rack.SystemRunning}, sys)
}
