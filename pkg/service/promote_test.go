package service_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
)

const webManifest = "services:\n  web:\n    build: .\n    port: 3000\n    environment:\n      - SECRET\n"

type promoteWorld struct {
	*world
	updates    *fake.Updates
	values     *fake.EnvValues
	layout     *fake.Layout
	promotions *service.Promotions
}

func newPromoteWorld(t *testing.T) *promoteWorld {
	w := &promoteWorld{world: newWorld()}
	w.updates, w.values, w.layout = fake.NewUpdates(w.clock.Now), fake.NewEnvValues(), &fake.Layout{}
	core := service.NewCore(service.CoreConfig{Rack: "dev", Events: w.events, Now: w.clock.Now})
	w.promotions = service.NewPromotions(core, w.store, fake.Sealer{}, service.PromotePorts{Stacks: w.updates, Env: w.values, Layout: w.layout, Deployments: w.updates})
	ctx := context.Background()
	_, err := w.apps.CreateApp(ctx, "web")
	require.NoError(t, err)
	w.stacks.Settle()
	require.NoError(t, w.apps.ReconcileApps(ctx))
	return w
}

// release makes a release of a complete build of manifest with env.
func (w *promoteWorld) release(t *testing.T, manifest string, env rack.Environment) rack.Release {
	t.Helper()
	ctx := context.Background()
	id, err := rack.NewID(rack.BuildIDPrefix)
	require.NoError(t, err)
	_, err = w.store.CreateBuild(ctx, rack.Build{App: "web", ID: id, Status: rack.BuildComplete, Manifest: manifest})
	require.NoError(t, err)
	r, err := w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &id, Env: &env})
	require.NoError(t, err)
	return r
}

func (w *promoteWorld) app(t *testing.T) rack.App {
	t.Helper()
	a, err := w.store.GetApp(context.Background(), "web")
	require.NoError(t, err)
	return a
}

func (w *promoteWorld) get(t *testing.T, id string) rack.Release {
	t.Helper()
	r, err := w.store.GetRelease(context.Background(), "web", id)
	require.NoError(t, err)
	return r
}

func TestPromoteMakesTheReleaseActive(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	r1 := w.release(t, webManifest, rack.Environment{"SECRET": "hunter2", "EMPTY": ""})

	got, err := w.promotions.Promote(ctx, "web", r1.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseActive, got.Status, "the stack update completed at once")
	require.Equal(t, r1.ID+"-2", got.Token, "the token names this promotion: the release at its next version")
	a := w.app(t)
	require.Equal(t, r1.ID, a.Release)
	require.Equal(t, "dev-router.example.org", a.Router, "the app's services are behind the router")
	require.False(t, a.Promotion.Active(), "the app is free again")
	require.Equal(t, 1, w.updates.Calls("web"))
	require.NotContains(t, w.updates.Template("web"), "hunter2", "values go by reference only")
	require.Equal(t, map[string]string{"/dev/apps/web/env/SECRET/" + r1.ID: "hunter2"}, w.values.Values(), "the empty value is not kept")
	require.Contains(t, w.events.Actions(), events.ActionReleasePromote+" "+events.StatusSuccess)

	// A new release with the same value shares it; the one before is
	// superseded.
	r2 := w.release(t, webManifest, rack.Environment{"SECRET": "hunter2", "X": "1"})
	got, err = w.promotions.Promote(ctx, "web", r2.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseActive, got.Status)
	require.Equal(t, rack.ReleaseSuperseded, w.get(t, r1.ID).Status)
	require.Len(t, w.values.Values(), 2, "SECRET is kept once; X is new")

	// Promoting the old one again is how Convox rolls back.
	got, err = w.promotions.Promote(ctx, "web", r1.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseActive, got.Status)
	require.Equal(t, r1.ID+"-5", got.Token, "a new token for a new promotion")
	require.Equal(t, r1.ID, w.app(t).Release)
	require.Equal(t, rack.ReleaseSuperseded, w.get(t, r2.ID).Status)
}

func TestPromoteOneAtATime(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	w.updates.Hold = true
	var ids []string
	for i := range 20 {
		ids = append(ids, w.release(t, webManifest, rack.Environment{"SECRET": fmt.Sprint(i)}).ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Go(func() { _, errs[i] = w.promotions.Promote(ctx, "web", id) })
	}
	wg.Wait()
	var winner string
	for i, err := range errs {
		if err == nil {
			require.Empty(t, winner, "a second promotion proceeded")
			winner = ids[i]
		}
	}
	require.NotEmpty(t, winner)
	for i, err := range errs {
		if ids[i] != winner {
			requireCode(t, rack.ECONFLICT, err)
			require.Contains(t, err.Error(), "is promoting release "+winner)
		}
	}
	require.Equal(t, 1, w.updates.Calls("web"))

	// A retry of the winner is no second update; once it is done the
	// next may go.
	r, err := w.promotions.Promote(ctx, "web", winner)
	require.NoError(t, err)
	require.Equal(t, rack.ReleasePromoting, r.Status)
	require.Equal(t, 1, w.updates.Calls("web"))
	w.updates.Finish(r.Token, rack.UpdateComplete, "")
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	require.Equal(t, winner, w.app(t).Release)
	next := ids[0]
	if next == winner {
		next = ids[1]
	}
	_, err = w.promotions.Promote(ctx, "web", next)
	require.NoError(t, err)
}

func TestPromoteRolledBack(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	r1 := w.release(t, webManifest, rack.Environment{"SECRET": "a"})
	_, err := w.promotions.Promote(ctx, "web", r1.ID)
	require.NoError(t, err)
	before := w.updates.Template("web")

	w.updates.Hold = true
	r2 := w.release(t, webManifest, rack.Environment{"SECRET": "b"})
	r2, err = w.promotions.Promote(ctx, "web", r2.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleasePromoting, r2.Status)
	require.NoError(t, w.promotions.Settle(ctx, "web"), "in progress: nothing to do yet")
	require.Equal(t, rack.ReleasePromoting, w.get(t, r2.ID).Status)

	w.updates.Finish(r2.Token, rack.UpdateRolledBack, "Service web did not stabilize: container exited (code 1)")
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	require.NoError(t, w.promotions.Settle(ctx, "web"), "a second delivery changes nothing")
	failed := w.get(t, r2.ID)
	require.Equal(t, rack.ReleaseFailed, failed.Status)
	require.Equal(t, "Service web did not stabilize: container exited (code 1)", failed.Reason)
	a := w.app(t)
	require.Equal(t, r1.ID, a.Release, "the previous release stays active")
	require.Equal(t, rack.ReleaseActive, w.get(t, r1.ID).Status)
	require.False(t, a.Promotion.Active())
	require.Equal(t, before, w.updates.Template("web"))
	require.Contains(t, w.events.Actions(), events.ActionReleasePromote+" "+events.StatusError)

	// UPDATE_ROLLBACK_FAILED says what to do.
	r3 := w.release(t, webManifest, rack.Environment{"SECRET": "c"})
	r3, err = w.promotions.Promote(ctx, "web", r3.ID)
	require.NoError(t, err)
	w.updates.Finish(r3.Token, rack.UpdateRollbackFailed, "Service web: access denied")
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	failed = w.get(t, r3.ID)
	require.Equal(t, rack.ReleaseFailed, failed.Status)
	require.Contains(t, failed.Reason, "Service web: access denied")
	require.Contains(t, failed.Reason, "continue-update-rollback")
}

func TestPromoteRefusesBadReleases(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	r := w.release(t, webManifest, rack.Environment{})
	_, err := w.promotions.Promote(ctx, "web", r.ID)
	requireCode(t, rack.EINVALID, err)
	require.Equal(t, "required env: SECRET", rack.ErrorMessage(err))
	require.False(t, w.app(t).Promotion.Active(), "nothing is claimed")
	require.Equal(t, rack.ReleaseCreated, w.get(t, r.ID).Status)

	env := rack.Environment{"A": "1"}
	bare, err := w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Env: &env})
	require.NoError(t, err)
	_, err = w.promotions.Promote(ctx, "web", "RNOPE")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = w.promotions.Promote(ctx, "nope", bare.ID)
	requireCode(t, rack.ENOTFOUND, err)

	_, err = w.store.CreateBuild(ctx, rack.Build{App: "web", ID: "BBADMANIFES", Status: rack.BuildComplete, Manifest: "services: [nope"})
	require.NoError(t, err)
	id := "BBADMANIFES"
	broken, err := w.releases.CreateRelease(ctx, "web", service.ReleaseOptions{Build: &id})
	require.NoError(t, err)
	_, err = w.promotions.Promote(ctx, "web", broken.ID)
	requireCode(t, rack.EINVALID, err)
	require.Equal(t, 0, w.updates.Calls("web"))
}

func TestPromoteWaitsForTheRouter(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	w.layout.SetBuilding(true)
	r := w.release(t, webManifest, rack.Environment{"SECRET": "a"})
	got, err := w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleasePromoting, got.Status)
	a := w.app(t)
	require.True(t, a.Promotion.Active())
	require.False(t, a.Promotion.Submitted, "waiting for the balancer")
	require.Equal(t, 0, w.updates.Calls("web"))
	require.Equal(t, [2]bool{true, false}, w.layout.Asked[len(w.layout.Asked)-1], "an external balancer, no internal one")

	w.layout.SetBuilding(false)
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	require.Equal(t, rack.ReleaseActive, w.get(t, r.ID).Status)
	require.Equal(t, 1, w.updates.Calls("web"))

	// A balancer that never comes fails the promotion in the end.
	w.layout.SetBuilding(true)
	r2 := w.release(t, webManifest, rack.Environment{"SECRET": "b"})
	_, err = w.promotions.Promote(ctx, "web", r2.ID)
	require.NoError(t, err)
	w.clock.Advance(21 * time.Minute)
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	failed := w.get(t, r2.ID)
	require.Equal(t, rack.ReleaseFailed, failed.Status)
	require.Equal(t, "the rack's balancer did not become ready", failed.Reason)
	require.Equal(t, r.ID, w.app(t).Release)
}

func TestPromoteTheActiveRelease(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	r := w.release(t, "services:\n  worker:\n    build: .\n", rack.Environment{})
	_, err := w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	// The active release again: there is nothing to do.
	got, err := w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseActive, got.Status)
	require.Equal(t, 1, w.updates.Calls("web"))
	require.False(t, w.app(t).Promotion.Active())
}

func TestCancelPromotion(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	err := w.promotions.Cancel(ctx, "web")
	requireCode(t, rack.ECONFLICT, err)
	require.Equal(t, "app web is not being deployed", rack.ErrorMessage(err))

	w.updates.Hold = true
	r := w.release(t, webManifest, rack.Environment{"SECRET": "a"})
	_, err = w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	require.NoError(t, w.promotions.Cancel(ctx, "web"))
	require.Equal(t, []string{"web"}, w.updates.Cancelled)
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	failed := w.get(t, r.ID)
	require.Equal(t, rack.ReleaseFailed, failed.Status)
	require.Equal(t, "Resource update cancelled", failed.Reason)

	// Cancelled while it waits for the balancer: it ends at once.
	w.layout.SetBuilding(true)
	r2 := w.release(t, webManifest, rack.Environment{"SECRET": "b"})
	_, err = w.promotions.Promote(ctx, "web", r2.ID)
	require.NoError(t, err)
	require.NoError(t, w.promotions.Cancel(ctx, "web"))
	require.Equal(t, "cancelled", w.get(t, r2.ID).Reason)
	require.False(t, w.app(t).Promotion.Active())
}

func TestPromotionEvents(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	r := w.release(t, webManifest, rack.Environment{"SECRET": "a"})
	evs, err := w.promotions.Events(ctx, "web", r.ID)
	require.NoError(t, err)
	require.Empty(t, evs, "not promoted yet")
	_, err = w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	evs, err = w.promotions.Events(ctx, "web", r.ID)
	require.NoError(t, err)
	var statuses []string
	for _, e := range evs {
		statuses = append(statuses, e.Status)
	}
	require.Equal(t, "UPDATE_IN_PROGRESS UPDATE_COMPLETE", strings.Join(statuses, " "))
}

func TestPromotionNeverStarted(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	r := w.release(t, webManifest, rack.Environment{"SECRET": "a"})
	// A promotion recorded as asked for, whose update CloudFormation never
	// saw (a crash between the call and its answer, say).
	a := w.app(t)
	a.Promotion = rack.Promotion{Release: r.ID, Submitted: true, Started: w.clock.Now()}
	_, err := w.store.UpdateApp(ctx, a, a.Status)
	require.NoError(t, err)
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	require.Equal(t, rack.ReleasePromoting, w.get(t, r.ID).Status, "too early to tell")
	w.clock.Advance(6 * time.Minute)
	require.NoError(t, w.promotions.Settle(ctx, "web"))
	failed := w.get(t, r.ID)
	require.Equal(t, rack.ReleaseFailed, failed.Status)
	require.Equal(t, "the stack update never started", failed.Reason)
	require.False(t, w.app(t).Promotion.Active())
}

func TestTheRouterGoesWhenNoAppNeedsIt(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	require.NoError(t, w.promotions.SettleAll(ctx))
	require.Equal(t, 1, w.layout.Removed, "no app has a port")

	web := w.release(t, webManifest, rack.Environment{"SECRET": "a"})
	_, err := w.promotions.Promote(ctx, "web", web.ID)
	require.NoError(t, err)
	require.NoError(t, w.promotions.SettleAll(ctx))
	require.Equal(t, 1, w.layout.Removed, "the active release has a port")

	w.updates.Hold = true
	worker := w.release(t, "services:\n  worker:\n    build: .\n", rack.Environment{})
	worker, err = w.promotions.Promote(ctx, "web", worker.ID)
	require.NoError(t, err)
	require.NoError(t, w.promotions.SettleAll(ctx))
	require.Equal(t, 1, w.layout.Removed, "a promotion is under way")

	w.updates.Finish(worker.Token, rack.UpdateComplete, "")
	require.NoError(t, w.promotions.SettleAll(ctx))
	require.Equal(t, rack.ReleaseActive, w.get(t, worker.ID).Status)
	require.NoError(t, w.promotions.SettleAll(ctx))
	require.Equal(t, 2, w.layout.Removed, "no app needs a balancer any more")
}

func TestDeletingAnAppRemovesItsEnvironment(t *testing.T) {
	ctx := context.Background()
	w := newPromoteWorld(t)
	apps := service.NewApps(service.NewCore(service.CoreConfig{Rack: "dev", Now: w.clock.Now}), w.store, w.stacks, service.RemovingEnv(w.values))
	r := w.release(t, webManifest, rack.Environment{"SECRET": "a"})
	_, err := w.promotions.Promote(ctx, "web", r.ID)
	require.NoError(t, err)
	require.Len(t, w.values.Values(), 1)
	_, err = apps.DeleteApp(ctx, "web")
	require.NoError(t, err)
	w.stacks.Settle()
	require.NoError(t, apps.ReconcileApps(ctx))
	_, err = w.store.GetApp(ctx, "web")
	requireCode(t, rack.ENOTFOUND, err)
	require.Empty(t, w.values.Values(), "the app's values went with it")
}
