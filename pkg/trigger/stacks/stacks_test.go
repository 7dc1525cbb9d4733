package stacks_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
	"github.com/rackhq/rack/pkg/testkit/fake"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/trigger/stacks"
)

var _ stacks.Apps = (*service.Apps)(nil)

// The samples are events of the stack dev-App-myapp: app myapp of rack dev.
const (
	rackName = "dev"
	appName  = "myapp"
)

type world struct {
	store      *memstore.Store
	stacks     *fake.Stacks
	updates    *fake.Updates
	svc        *service.Apps
	promotions *service.Promotions
	handler    *stacks.Handler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	store, fakeStacks := memstore.New(nil), fake.NewStacks()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	core := service.NewCore(service.CoreConfig{Rack: rackName, Log: log})
	svc := service.NewApps(core, store, fakeStacks)
	updates := fake.NewUpdates(time.Now)
	updates.Hold = true
	promotions := service.NewPromotions(core, store, fake.Sealer{}, service.PromotePorts{Stacks: updates, Env: fake.NewEnvValues(), Layout: &fake.Layout{}, Deployments: updates})
	return &world{store: store, stacks: fakeStacks, updates: updates, svc: svc, promotions: promotions,
		handler: stacks.New(rackName, svc, promotions, log)}
}

// sample reads events/testdata/cloudformation-stack-status-<name>.json.
func sample(t *testing.T, name string) awsevents.CloudWatchEvent {
	t.Helper()
	return readEvent(t, "../../../events/testdata/cloudformation-stack-status-"+name+".json")
}

func readEvent(t *testing.T, file string) awsevents.CloudWatchEvent {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var ev awsevents.CloudWatchEvent
	require.NoError(t, json.Unmarshal(raw, &ev))
	return ev
}

// edit returns ev with its detail changed by change.
func edit(t *testing.T, ev awsevents.CloudWatchEvent, change func(*events.CloudFormationStackStatusChangeDetail)) awsevents.CloudWatchEvent {
	t.Helper()
	var d events.CloudFormationStackStatusChangeDetail
	require.NoError(t, json.Unmarshal(ev.Detail, &d))
	change(&d)
	detail, err := json.Marshal(d)
	require.NoError(t, err)
	ev.Detail = detail
	return ev
}

func withStatus(t *testing.T, ev awsevents.CloudWatchEvent, s events.StackStatus) awsevents.CloudWatchEvent {
	return edit(t, ev, func(d *events.CloudFormationStackStatusChangeDetail) { d.StatusDetails.Status = s })
}

func withStackID(t *testing.T, ev awsevents.CloudWatchEvent, id string) awsevents.CloudWatchEvent {
	return edit(t, ev, func(d *events.CloudFormationStackStatusChangeDetail) { d.StackID = id })
}

func (w *world) handle(t *testing.T, ev awsevents.CloudWatchEvent) {
	t.Helper()
	require.NoError(t, w.handler.Handle(t.Context(), ev))
}

// app reads the app as stored, without the reconcile a service read does.
func (w *world) app(t *testing.T) rack.App {
	t.Helper()
	app, err := w.store.GetApp(t.Context(), appName)
	require.NoError(t, err)
	return app
}

func (w *world) createApp(t *testing.T) {
	t.Helper()
	_, err := w.svc.CreateApp(t.Context(), appName)
	require.NoError(t, err)
	require.Equal(t, rack.AppCreating, w.app(t).Status)
}

// runningApp creates the app and lets its stack's create complete.
func (w *world) runningApp(t *testing.T) {
	t.Helper()
	w.createApp(t)
	w.stacks.Set(appName, rack.AppRunning)
	w.handle(t, sample(t, "create-complete"))
	require.Equal(t, rack.AppRunning, w.app(t).Status)
}

func TestCreateCompleteRunsACreatingApp(t *testing.T) {
	w := newWorld(t)
	w.createApp(t)
	w.handle(t, sample(t, "create-complete"))
	require.Equal(t, rack.AppRunning, w.app(t).Status)
}

func TestUpdate(t *testing.T) {
	w := newWorld(t)
	w.runningApp(t)

	w.handle(t, sample(t, "update-in-progress"))
	require.Equal(t, rack.AppUpdating, w.app(t).Status)

	w.handle(t, sample(t, "update-complete"))
	require.Equal(t, rack.AppRunning, w.app(t).Status)
}

func TestUpdateRollbackCompleteRunsTheApp(t *testing.T) {
	w := newWorld(t)
	w.runningApp(t)
	w.handle(t, sample(t, "update-in-progress"))
	w.handle(t, withStatus(t, sample(t, "update-rollback-complete"), events.StackStatusUpdateRollbackInProgress))
	require.Equal(t, rack.AppUpdating, w.app(t).Status)

	// The stack rolled back to where it was: it serves as before.
	w.handle(t, sample(t, "update-rollback-complete"))
	require.Equal(t, rack.AppRunning, w.app(t).Status)
}

func TestReplayChangesNothing(t *testing.T) {
	tests := []struct {
		sample string
		setup  func(*world, *testing.T)
		want   rack.AppStatus
	}{
		{"create-complete", (*world).createApp, rack.AppRunning},
		{"update-in-progress", (*world).runningApp, rack.AppUpdating},
		{"update-complete", func(w *world, t *testing.T) {
			w.runningApp(t)
			w.handle(t, sample(t, "update-in-progress"))
		}, rack.AppRunning},
		{"update-rollback-complete", func(w *world, t *testing.T) {
			w.runningApp(t)
			w.handle(t, sample(t, "update-in-progress"))
		}, rack.AppRunning},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w, t)
			ev := sample(t, tt.sample)

			w.handle(t, ev)
			first := w.app(t)
			require.Equal(t, tt.want, first.Status)

			w.handle(t, ev)
			require.Equal(t, first, w.app(t))
		})
	}

	t.Run("delete-complete", func(t *testing.T) {
		w := newWorld(t)
		w.runningApp(t)
		_, err := w.svc.DeleteApp(t.Context(), appName)
		require.NoError(t, err)
		ev := sample(t, "delete-complete")
		w.handle(t, ev)
		w.handle(t, ev)
		_, err = w.store.GetApp(t.Context(), appName)
		require.True(t, rack.IsCode(err, rack.ENOTFOUND), "got %v", err)
	})
}

// Out of order: status alone decides what a late event may do. Moves the
// app's state machine forbids are ignored (nothing goes back to creating,
// nothing brings a deleting app back), but running and updating move into
// each other, so a stale UPDATE_IN_PROGRESS is indistinguishable from a new
// update: the app goes back to updating until the sweep reconciles it with
// its stack.
func TestLateEvents(t *testing.T) {
	t.Run("update-in-progress after update-complete is undone by the next sweep", func(t *testing.T) {
		w := newWorld(t)
		w.runningApp(t)
		w.handle(t, sample(t, "update-complete")) // before its in-progress event
		require.Equal(t, rack.AppRunning, w.app(t).Status)

		w.handle(t, sample(t, "update-in-progress"))
		require.Equal(t, rack.AppUpdating, w.app(t).Status)

		// The stack is UPDATE_COMPLETE; the sweep asks it.
		w.handle(t, readEvent(t, "testdata/scheduled-event.json"))
		require.Equal(t, rack.AppRunning, w.app(t).Status)
	})

	t.Run("create-in-progress after create-complete is ignored", func(t *testing.T) {
		w := newWorld(t)
		w.runningApp(t)
		before := w.app(t)
		w.handle(t, withStatus(t, sample(t, "create-complete"), events.StackStatusCreateInProgress))
		require.Equal(t, before, w.app(t))
	})

	t.Run("nothing brings a deleting app back", func(t *testing.T) {
		w := newWorld(t)
		w.runningApp(t)
		deleting, err := w.svc.DeleteApp(t.Context(), appName)
		require.NoError(t, err)
		require.Equal(t, rack.AppDeleting, deleting.Status)

		for _, name := range []string{"create-complete", "update-in-progress", "update-complete", "update-rollback-complete"} {
			w.handle(t, sample(t, name))
			require.Equal(t, deleting, w.app(t), "after %s", name)
		}
	})

	t.Run("events after delete-complete are ignored", func(t *testing.T) {
		w := newWorld(t)
		w.runningApp(t)
		_, err := w.svc.DeleteApp(t.Context(), appName)
		require.NoError(t, err)
		w.handle(t, sample(t, "delete-complete"))

		for _, name := range []string{"create-complete", "update-in-progress", "update-complete", "update-rollback-complete"} {
			w.handle(t, sample(t, name))
			_, err := w.store.GetApp(t.Context(), appName)
			require.True(t, rack.IsCode(err, rack.ENOTFOUND), "after %s: got %v", name, err)
		}
	})
}

func TestDeleteCompleteRemovesTheAppAndItsReleases(t *testing.T) {
	w := newWorld(t)
	w.runningApp(t)
	releases := service.NewReleases(service.NewCore(service.CoreConfig{Rack: rackName}), w.store, fake.Sealer{})
	release, err := releases.CreateRelease(t.Context(), appName, service.ReleaseOptions{Env: &rack.Environment{"PORT": "3000"}})
	require.NoError(t, err)
	_, err = w.svc.DeleteApp(t.Context(), appName)
	require.NoError(t, err)

	w.handle(t, sample(t, "delete-complete"))

	_, err = w.store.GetApp(t.Context(), appName)
	require.True(t, rack.IsCode(err, rack.ENOTFOUND), "app: got %v", err)
	_, err = w.store.GetRelease(t.Context(), appName, release.ID)
	require.True(t, rack.IsCode(err, rack.ENOTFOUND), "release: got %v", err)
}

// The scheduled sweep catches up apps whose stack events were lost.
func TestScheduledSweepReconcilesApps(t *testing.T) {
	w := newWorld(t)
	w.createApp(t)
	w.stacks.Set(appName, rack.AppRunning) // its CREATE_COMPLETE event never came
	w.handle(t, readEvent(t, "testdata/scheduled-event.json"))
	require.Equal(t, rack.AppRunning, w.app(t).Status)

	_, err := w.svc.DeleteApp(t.Context(), appName)
	require.NoError(t, err)
	w.stacks.Set(appName, "") // nor its DELETE_COMPLETE
	w.handle(t, readEvent(t, "testdata/scheduled-event.json"))
	_, err = w.store.GetApp(t.Context(), appName)
	require.True(t, rack.IsCode(err, rack.ENOTFOUND), "got %v", err)
}

// An app deleted and created again must survive a late DELETE_COMPLETE of
// its earlier stack.
func TestLateDeleteCompleteKeepsARecreatedApp(t *testing.T) {
	w := newWorld(t)
	w.runningApp(t)
	_, err := w.svc.DeleteApp(t.Context(), appName)
	require.NoError(t, err)
	w.stacks.Set(appName, "")
	require.NoError(t, w.svc.AppDeleted(t.Context(), appName))
	w.createApp(t)

	w.handle(t, sample(t, "delete-complete"))
	require.Equal(t, rack.AppCreating, w.app(t).Status, "the new app is kept")
}

func TestIgnored(t *testing.T) {
	otherStack := func(name string) func(*testing.T) awsevents.CloudWatchEvent {
		return func(t *testing.T) awsevents.CloudWatchEvent {
			return withStackID(t, sample(t, "create-complete"), "arn:aws:cloudformation:us-east-1:123456789012:stack/"+name+"/8f0c2e60-45d1-11f0-b6e2-0affd3c2a8e1")
		}
	}
	tests := []struct {
		name  string
		event func(*testing.T) awsevents.CloudWatchEvent
	}{
		{"another rack's app stack", otherStack("prod-App-myapp")},
		{"the rack's own stack", otherStack("dev")},
		{"a stack named like the rack with no app", otherStack("dev-App-")},
		{"a nested stack", otherStack("dev-App-myapp-ServiceWeb-Q1W2E3R4T5Y6")},
		{"a stack of a rack whose name starts like ours", otherStack("devel-App-myapp")},
		{"rack dev-App's app (no rack has that name)", otherStack("dev-App-App-myapp")},
		{"a stack named as before app stacks had the infix", otherStack("dev-myapp")},
		{"an unknown stack status", func(t *testing.T) awsevents.CloudWatchEvent {
			return withStatus(t, sample(t, "create-complete"), "SOMETHING_NEW")
		}},
		{"a resource status change", func(t *testing.T) awsevents.CloudWatchEvent {
			ev := sample(t, "create-complete")
			ev.DetailType = "CloudFormation Resource Status Change"
			return ev
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.createApp(t)
			before := w.app(t)
			w.handle(t, tt.event(t))
			require.Equal(t, before, w.app(t))
		})
	}
}

func TestEventsForAnUnknownAppAreIgnored(t *testing.T) {
	for _, name := range []string{"create-complete", "update-in-progress", "update-complete", "update-rollback-complete", "delete-complete"} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.handle(t, sample(t, name))
			apps, _, err := w.store.ListApps(t.Context(), rack.Page{})
			require.NoError(t, err)
			require.Empty(t, apps)
		})
	}
}

func TestUnreadableEventsFail(t *testing.T) {
	tests := map[string]func(*testing.T) awsevents.CloudWatchEvent{
		"a detail that is not an object": func(t *testing.T) awsevents.CloudWatchEvent {
			ev := sample(t, "create-complete")
			ev.Detail = json.RawMessage(`"CREATE_COMPLETE"`)
			return ev
		},
		"a detail of the wrong shape": func(t *testing.T) awsevents.CloudWatchEvent {
			ev := sample(t, "create-complete")
			ev.Detail = json.RawMessage(`{"stack-id": 42}`)
			return ev
		},
		"no detail": func(t *testing.T) awsevents.CloudWatchEvent {
			ev := sample(t, "create-complete")
			ev.Detail = nil
			return ev
		},
		"a stack id that is not a stack ARN": func(t *testing.T) awsevents.CloudWatchEvent {
			return withStackID(t, sample(t, "create-complete"), "dev-App-myapp")
		},
	}
	for name, event := range tests {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.createApp(t)
			before := w.app(t)
			require.Error(t, w.handler.Handle(t.Context(), event(t)))
			require.Equal(t, before, w.app(t))
		})
	}
}

// apps is a stand-in for the service whose methods a test sets.
type apps struct {
	applyStackStatus func(name string, status rack.AppStatus, reason string) (rack.App, error)
	appDeleted       func(name string) error
}

func (a apps) ApplyStackStatus(_ context.Context, name string, status rack.AppStatus, reason string) (rack.App, error) {
	return a.applyStackStatus(name, status, reason)
}

func (a apps) AppDeleted(_ context.Context, name string) error { return a.appDeleted(name) }

func (a apps) ReconcileApps(context.Context) error { return errors.New("not expected") }

// settled is promotions with none under way.
type settled struct{}

func (settled) Settle(context.Context, string) error { return nil }
func (settled) SettleAll(context.Context) error      { return nil }

// TestTheEndOfAnUpdateEndsItsPromotion: the stack event that ends an
// update settles the app's promotion, by what the update's own events say.
func TestTheEndOfAnUpdateEndsItsPromotion(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.runningApp(t)
	const build = "BAAAAAAAAAA"
	_, err := w.store.CreateBuild(ctx, rack.Build{App: appName, ID: build, Status: rack.BuildComplete, Manifest: "services:\n  worker:\n    build: .\n"})
	require.NoError(t, err)
	r, err := w.store.CreateRelease(ctx, rack.Release{App: appName, ID: "RAAAAAAAAAA", Build: build, Status: rack.ReleaseCreated,
		Manifest: "services:\n  worker:\n    build: .\n"})
	require.NoError(t, err)
	r, err = w.promotions.Promote(ctx, appName, r.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleasePromoting, r.Status)

	require.NoError(t, w.handler.Handle(ctx, sample(t, "update-in-progress")))
	got, err := w.store.GetRelease(ctx, appName, r.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleasePromoting, got.Status, "still in progress")

	w.updates.Finish(r.Token, rack.UpdateComplete, "")
	require.NoError(t, w.handler.Handle(ctx, sample(t, "update-complete")))
	got, err = w.store.GetRelease(ctx, appName, r.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseActive, got.Status)
	a, err := w.store.GetApp(ctx, appName)
	require.NoError(t, err)
	require.Equal(t, r.ID, a.Release)
	require.Equal(t, rack.AppRunning, a.Status)
	require.False(t, a.Promotion.Active())

	// A promotion whose event was lost is settled by the sweep.
	r2, err := w.store.CreateRelease(ctx, rack.Release{App: appName, ID: "RBBBBBBBBBB", Parent: r.ID, Build: build, Status: rack.ReleaseCreated,
		Manifest: "services:\n  worker:\n    build: .\n    command: sleep 1\n"})
	require.NoError(t, err)
	r2, err = w.promotions.Promote(ctx, appName, r2.ID)
	require.NoError(t, err)
	w.updates.Finish(r2.Token, rack.UpdateRolledBack, "WorkerService: it failed")
	require.NoError(t, w.handler.Handle(ctx, readEvent(t, "../../../events/testdata/scheduled-event.json")))
	got, err = w.store.GetRelease(ctx, appName, r2.ID)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseFailed, got.Status)
	require.Equal(t, "WorkerService: it failed", got.Reason)
}

func TestPassesTheAppStatusAndReason(t *testing.T) {
	var got []string
	h := stacks.New(rackName, apps{
		applyStackStatus: func(name string, status rack.AppStatus, reason string) (rack.App, error) {
			got = append(got, name, string(status), reason)
			return rack.App{Name: name, Status: status}, nil
		},
	}, settled{}, nil)
	require.NoError(t, h.Handle(t.Context(), sample(t, "update-in-progress")))
	require.Equal(t, []string{appName, string(rack.AppUpdating), "User Initiated"}, got)
}

func TestStoreErrorsAreReturnedForARetry(t *testing.T) {
	unavailable := errors.New("store unavailable")
	h := stacks.New(rackName, apps{
		applyStackStatus: func(string, rack.AppStatus, string) (rack.App, error) { return rack.App{}, unavailable },
		appDeleted:       func(string) error { return unavailable },
	}, settled{}, nil)
	for _, name := range []string{"create-complete", "delete-complete"} {
		t.Run(name, func(t *testing.T) {
			err := h.Handle(t.Context(), sample(t, name))
			require.ErrorIs(t, err, unavailable)
			require.EqualError(t, err, "stack dev-App-myapp: store unavailable")
		})
	}
}

// Every stack status but DELETE_COMPLETE means an app status, so the
// handler warns only about a status CloudFormation adds later.
func TestEveryStackStatusMeansAnAppStatus(t *testing.T) {
	statuses := []events.StackStatus{
		events.StackStatusCreateInProgress, events.StackStatusCreateFailed, events.StackStatusCreateComplete,
		events.StackStatusRollbackInProgress, events.StackStatusRollbackFailed, events.StackStatusRollbackComplete,
		events.StackStatusDeleteInProgress, events.StackStatusDeleteFailed,
		events.StackStatusUpdateInProgress, events.StackStatusUpdateCompleteCleanupInProgress,
		events.StackStatusUpdateComplete, events.StackStatusUpdateFailed,
		events.StackStatusUpdateRollbackInProgress, events.StackStatusUpdateRollbackFailed,
		events.StackStatusUpdateRollbackCompleteCleanupInProgress, events.StackStatusUpdateRollbackComplete,
		events.StackStatusReviewInProgress,
		events.StackStatusImportInProgress, events.StackStatusImportComplete,
		events.StackStatusImportRollbackInProgress, events.StackStatusImportRollbackFailed,
		events.StackStatusImportRollbackComplete,
	}
	for _, s := range statuses {
		require.True(t, appstack.AppStatus(s).Valid(), "%s", s)
	}
	require.Empty(t, appstack.AppStatus(events.StackStatusDeleteComplete))
}
