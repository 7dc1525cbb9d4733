package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/examples"
	"github.com/rackhq/rack/pkg/testkit/storetest"
)

// webWorkerManifest is the manifest of the web-worker example.
func webWorkerManifest(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(examples.Path("web-worker") + "/convox.yml")
	require.NoError(t, err)
	return string(data)
}

// eventTime is how an event line shows the time of the rack's clock,
// advanced by d.
func eventTime(r *rackServer, d time.Duration) string {
	return r.clock.Now().Add(d).UTC().Format(time.RFC3339)
}

// promotionsEnd makes each wait of convox's end the stack update of the
// app's promotion under way, if there is one, as state (with reason), ten
// seconds on, and then settle it as the stack's events would; before
// that, then runs first (the builder, say).
func promotionsEnd(r *rackServer, tm *term, app string, state rack.StackUpdateState, reason string, then func()) {
	tm.onSleep = func() {
		if then != nil {
			then()
		}
		ctx := context.Background()
		a, err := r.store.GetApp(ctx, app)
		if err != nil {
			panic(err)
		}
		if a.Promotion.Active() {
			rel, err := r.store.GetRelease(ctx, app, a.Promotion.Release)
			if err != nil {
				panic(err)
			}
			if u, _ := r.updates.AppStackUpdate(ctx, app, rel.Token); u.State == rack.UpdateInProgress {
				r.clock.Advance(10 * time.Second)
				r.updates.Finish(rel.Token, state, reason)
			}
		}
		if err := r.promotions.Settle(ctx, app); err != nil {
			panic(err)
		}
	}
}

// deployed is a term logged in to a rack where myapp runs its first
// release, deployed from the web-worker example: that release's id.
func deployed(t *testing.T) (*rackServer, *term, string) {
	t.Helper()
	r, tm := loggedIn(t, "myapp")
	r.settle()
	buildRuns(r, tm, rack.BuildComplete, "", "Building web")
	release := "R" + storetest.ID("B", 1)[1:]
	tm.ok("", []string{"deploy", examples.Path("web-worker"), "-a", "myapp", "-d", "first"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Building web",
		"Promoting "+release+"... OK",
	), "")
	tm.onSleep = nil
	return r, tm, release
}

func TestDeploy(t *testing.T) {
	r, tm, first := deployed(t)
	ctx := context.Background()
	tm.ok("", []string{"apps", "info", "-a", "myapp"}, lines(
		"Name        myapp",
		"Status      running",
		"Generation  2",
		"Locked      false",
		"Release     "+first,
		"Router      dev-router.example.org",
	), "")
	res := tm.run("", "releases", "-a", "myapp")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Regexp(t, `\n`+first+`  active  B`+first[1:]+`  `, res.stdout)

	// A deploy that takes a while: the stack's events as they come, then
	// OK once the release is active; the one before is superseded.
	r.updates.Hold = true
	buildRuns(r, tm, rack.BuildComplete, "")
	promotionsEnd(r, tm, "myapp", rack.UpdateComplete, "", tm.onSleep)
	second := "R" + storetest.ID("B", 2)[1:]
	start, end := eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.ok("", []string{"deploy", examples.Path("web-worker"), "-a", "myapp", "-m", "convox.yml", "--no-cache"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Promoting "+second+"... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" myapp UPDATE_COMPLETE",
		"OK",
	), "")
	a, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, second, a.Release)
	old, err := r.store.GetRelease(ctx, "myapp", first)
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseSuperseded, old.Status)

	// --id: all of it on stderr, the release alone on stdout.
	buildRuns(r, tm, rack.BuildComplete, "")
	promotionsEnd(r, tm, "myapp", rack.UpdateComplete, "", tm.onSleep)
	third := "R" + storetest.ID("B", 3)[1:]
	start, end = eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.ok("", []string{"deploy", examples.Path("web-worker"), "-a", "myapp", "--id"}, third, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Promoting "+third+"... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" myapp UPDATE_COMPLETE",
		"OK",
	))

	// --wait=false: Convox's own deploy, which returns once promoting.
	buildRuns(r, tm, rack.BuildComplete, "")
	fourth := "R" + storetest.ID("B", 4)[1:]
	tm.ok("", []string{"deploy", examples.Path("web-worker"), "-a", "myapp", "--wait=false"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Promoting "+fourth+"... OK",
	), "")
	rel, err := r.store.GetRelease(ctx, "myapp", fourth)
	require.NoError(t, err)
	require.Equal(t, rack.ReleasePromoting, rel.Status)

	tm.ok("", []string{"deploy", "--help"}, lines(
		"USAGE",
		"  convox deploy [dir]",
		"",
		"DESCRIPTION",
		"  create and promote a build",
		"",
		"OPTIONS",
		"  --app <app>                  -a  app name",
		"  --build-args <build-args>        build argument NAME=VALUE (repeatable)",
		"  --description <description>  -d  description",
		"  --development                    development mode (no effect)",
		"  --id                             put logs on stderr, release id on stdout",
		"  --manifest <manifest>        -m  manifest file",
		"  --no-cache                       build without cache",
		"  --rack <rack>                -r  rack name",
		"  --wait                       -w  wait for completion (--wait=false: return once promoting)",
		"  --wildcard-domain                wildcard domain (no effect)",
	), "")
}

func TestDeployFails(t *testing.T) {
	r, tm, first := deployed(t)
	ctx := context.Background()
	r.updates.Hold = true
	buildRuns(r, tm, rack.BuildComplete, "")
	promotionsEnd(r, tm, "myapp", rack.UpdateRolledBack, "Service web: container exited", tm.onSleep)
	second := "R" + storetest.ID("B", 2)[1:]
	start := eventTime(r, 0)
	end := eventTime(r, 10*time.Second)
	tm.fails("", []string{"deploy", examples.Path("web-worker"), "-a", "myapp"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
		"Promoting "+second+"... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" Service UPDATE_FAILED Service web: container exited",
		end+" myapp UPDATE_ROLLBACK_COMPLETE",
	), "ERROR: release "+second+" failed: Service web: container exited\n")

	// The release before stays active; the failed one says why.
	a, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, first, a.Release)
	res := tm.run("", "releases", "-a", "myapp")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Regexp(t, `\n`+second+`  failed  B`, res.stdout)
	require.Regexp(t, `\n`+first+`  active  B`, res.stdout)

	// A build that fails is not promoted.
	buildRuns(r, tm, rack.BuildFailed, "BUILD: docker build failed")
	tm.fails("", []string{"deploy", examples.Path("web-worker"), "-a", "myapp"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
	), "ERROR: build failed: BUILD: docker build failed\n")
}

func TestReleasesPromote(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	ctx := context.Background()
	tm.fails("", []string{"releases", "promote", "-a", "myapp"}, "", "ERROR: no releases to promote\n")

	r.settle()
	buildRuns(r, tm, rack.BuildComplete, "")
	res := tm.run("", "build", examples.Path("web-worker"), "-a", "myapp")
	require.Equal(t, exitOK, res.code, res.stderr)
	first := "R" + storetest.ID("B", 1)[1:]
	// An app that is not running (its stack is changing): the promotion
	// waits for it first, as Convox's does.
	setStatus := func(from, to rack.AppStatus) {
		a, err := r.store.GetApp(ctx, "myapp")
		require.NoError(t, err)
		a.Status = to
		_, err = r.store.UpdateApp(ctx, a, from)
		require.NoError(t, err)
	}
	setStatus(rack.AppRunning, rack.AppUpdating)
	tm.onSleep = func() { setStatus(rack.AppUpdating, rack.AppRunning) }
	// No id: the latest release.
	tm.ok("", []string{"releases", "promote", "-a", "myapp"}, lines(
		"Waiting for app to be ready... OK",
		"Promoting "+first+"... OK",
	), "")
	// The active release again: nothing to do.
	tm.ok("", []string{"releases", "promote", first, "-a", "myapp", "--wait"}, "Promoting "+first+"... OK\n", "")

	// --wait over an update that takes a while.
	r.updates.Hold = true
	tm.ok("", []string{"env", "set", "A=1", "-a", "myapp"}, "Setting A... OK\nRelease: RAAAAAAAAAC\n", "")
	promotionsEnd(r, tm, "myapp", rack.UpdateComplete, "", nil)
	start, end := eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.ok("", []string{"releases", "promote", "RAAAAAAAAAC", "-a", "myapp", "-w"}, lines(
		"Promoting RAAAAAAAAAC... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" myapp UPDATE_COMPLETE",
		"OK",
	), "")

	// One promotion at a time: another while one is under way is refused,
	// naming the one in flight and how to cancel it.
	tm.ok("", []string{"env", "set", "A=2", "-a", "myapp"}, "Setting A... OK\nRelease: RAAAAAAAAAD\n", "")
	tm.ok("", []string{"env", "set", "A=3", "-a", "myapp"}, "Setting A... OK\nRelease: RAAAAAAAAAE\n", "")
	tm.onSleep = nil
	tm.ok("", []string{"releases", "promote", "RAAAAAAAAAD", "-a", "myapp"}, "Promoting RAAAAAAAAAD... OK\n", "")
	tm.fails("", []string{"releases", "promote", "-a", "myapp"}, "Promoting RAAAAAAAAAE... ",
		"ERROR: app myapp is promoting release RAAAAAAAAAD; wait for it to finish, or cancel it with: convox apps cancel -a myapp\n")

	// A promotion CloudFormation rolls back: its events, then why.
	promotionsEnd(r, tm, "myapp", rack.UpdateRolledBack, "Service web: container exited", nil)
	start, end = eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.fails("", []string{"releases", "promote", "RAAAAAAAAAD", "-a", "myapp", "--wait"}, lines(
		"Promoting RAAAAAAAAAD... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" Service UPDATE_FAILED Service web: container exited",
		end+" myapp UPDATE_ROLLBACK_COMPLETE",
	), "ERROR: release RAAAAAAAAAD failed: Service web: container exited\n")
	a, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "RAAAAAAAAAC", a.Release)
	require.False(t, a.Promotion.Active())

	tm.fails("", []string{"releases", "promote", "RNOPE", "-a", "myapp"}, "Promoting RNOPE... ", "ERROR: release not found: RNOPE\n")
	tm.fails("", []string{"releases", "promote", "a", "b"}, "", "ERROR: no more than 1 arg expected\n")
}

func TestReleasesPromoteRequiredEnv(t *testing.T) {
	r, tm := loggedIn(t, "myapp")
	r.settle()
	dir := appDir(t, map[string]string{
		"convox.yml": "services:\n  web:\n    build: .\n    port: 3000\n    environment:\n      - SECRET\n      - TOKEN\n",
		"Dockerfile": "FROM scratch\n",
	})
	buildRuns(r, tm, rack.BuildComplete, "")
	release := "R" + storetest.ID("B", 1)[1:]
	tm.fails("", []string{"deploy", dir, "-a", "myapp"}, lines(
		"Packaging source... OK",
		"Uploading source... OK",
		"Starting build... OK",
	)+"Promoting "+release+"... ", "ERROR: required env: SECRET, TOKEN\n")

	// Setting them makes a release that can be promoted, and --wait
	// waits for it.
	r.updates.Hold = true
	promotionsEnd(r, tm, "myapp", rack.UpdateComplete, "", nil)
	start, end := eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.ok("", []string{"env", "set", "SECRET=x", "TOKEN=y", "-a", "myapp", "--promote", "--wait"}, lines(
		"Setting SECRET, TOKEN... OK",
		"Release: RAAAAAAAAAC",
		"Promoting RAAAAAAAAAC... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" myapp UPDATE_COMPLETE",
		"OK",
	), "")
}

func TestEnvPromote(t *testing.T) {
	r, tm, first := deployed(t)
	ctx := context.Background()
	// Without --wait, the promotion is started, as in Convox.
	r.updates.Hold = true
	tm.ok("", []string{"env", "set", "X=1", "-a", "myapp", "-p"}, lines(
		"Setting X... OK",
		"Release: RAAAAAAAAAC",
		"Promoting RAAAAAAAAAC... OK",
	), "")
	promotionsEnd(r, tm, "myapp", rack.UpdateComplete, "", nil)
	tm.onSleep()
	// --id: the id alone on stdout, after the promotion.
	start, end := eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.ok("", []string{"env", "unset", "X", "-a", "myapp", "--promote", "--wait", "--id"}, "RAAAAAAAAAD", lines(
		"Unsetting X... OK",
		"Release: RAAAAAAAAAD",
		"Promoting RAAAAAAAAAD... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" myapp UPDATE_COMPLETE",
		"OK",
	))
	tm.env["EDITOR"] = `f() { echo Y=2 >> "$1"; }; f`
	start, end = eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.ok("", []string{"env", "edit", "-a", "myapp", "-p", "-w"}, lines(
		"Setting Y... OK",
		"Release: RAAAAAAAAAE",
		"Promoting RAAAAAAAAAE... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" myapp UPDATE_COMPLETE",
		"OK",
	), "")
	a, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "RAAAAAAAAAE", a.Release)
	require.NotEqual(t, first, a.Release)

	// A release that cannot be promoted: the release is made, the
	// promotion refused.
	tm.onSleep = nil
	tm.ok("", []string{"env", "set", "Z=1", "-a", "myapp", "-p"}, lines(
		"Setting Z... OK",
		"Release: RAAAAAAAAAF",
		"Promoting RAAAAAAAAAF... OK",
	), "")
	tm.fails("", []string{"env", "set", "Z=2", "-a", "myapp", "-p"}, lines(
		"Setting Z... OK",
		"Release: RAAAAAAAAAG",
	)+"Promoting RAAAAAAAAAG... ", "ERROR: app myapp is promoting release RAAAAAAAAAF; wait for it to finish, or cancel it with: convox apps cancel -a myapp\n")
}

func TestReleasesRollback(t *testing.T) {
	r, tm, first := deployed(t)
	ctx := context.Background()
	tm.ok("", []string{"env", "set", "A=1", "-a", "myapp", "--promote"}, lines(
		"Setting A... OK",
		"Release: RAAAAAAAAAC",
		"Promoting RAAAAAAAAAC... OK",
	), "")

	// A new release of the old build and environment, promoted.
	tm.ok("", []string{"releases", "rollback", first, "-a", "myapp"}, lines(
		"Rolling back to "+first+"... OK, RAAAAAAAAAD",
		"Promoting RAAAAAAAAAD... OK",
	), "")
	back, err := r.store.GetRelease(ctx, "myapp", "RAAAAAAAAAD")
	require.NoError(t, err)
	require.Equal(t, "B"+first[1:], back.Build)
	require.Equal(t, rack.ReleaseActive, back.Status)
	require.Equal(t, "rollback to "+first, back.Description)
	tm.ok("", []string{"env", "-a", "myapp"}, "\n", "")
	a, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, "RAAAAAAAAAD", a.Release)

	// --wait and --id: progress and events on stderr, the new id on stdout.
	r.updates.Hold = true
	promotionsEnd(r, tm, "myapp", rack.UpdateComplete, "", nil)
	start, end := eventTime(r, 0), eventTime(r, 10*time.Second)
	tm.ok("", []string{"releases", "rollback", "RAAAAAAAAAC", "-a", "myapp", "--wait", "--id"}, "RAAAAAAAAAE", lines(
		"Rolling back to RAAAAAAAAAC... OK, RAAAAAAAAAE",
		"Promoting RAAAAAAAAAE... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		end+" myapp UPDATE_COMPLETE",
		"OK",
	))
	tm.ok("", []string{"env", "-a", "myapp"}, "A=1\n", "")

	tm.fails("", []string{"releases", "rollback", "RNOPE", "-a", "myapp"}, "Rolling back to RNOPE... ", "ERROR: release not found: RNOPE\n")
	tm.fails("", []string{"releases", "rollback", "-a", "myapp"}, "", "ERROR: 1 arg required\n")
}

func TestReleasesRollbackNeedsABuild(t *testing.T) {
	_, tm := loggedIn(t, "myapp")
	tm.ok("", []string{"env", "set", "A=1", "-a", "myapp"}, "Setting A... OK\nRelease: RAAAAAAAAAB\n", "")
	tm.fails("", []string{"releases", "rollback", "RAAAAAAAAAB", "-a", "myapp"}, "Rolling back to RAAAAAAAAAB... ",
		"ERROR: release RAAAAAAAAAB has no build to roll back to\n")
	tm.fails("", []string{"releases", "manifest", "RAAAAAAAAAB", "-a", "myapp"}, "", "ERROR: no build for release: RAAAAAAAAAB\n")
}

func TestReleasesManifest(t *testing.T) {
	_, tm, first := deployed(t)
	tm.ok("", []string{"releases", "manifest", first, "-a", "myapp"}, strings.TrimSpace(webWorkerManifest(t))+"\n", "")
	tm.fails("", []string{"releases", "manifest", "RNOPE", "-a", "myapp"}, "", "ERROR: release not found: RNOPE\n")
	tm.fails("", []string{"releases", "manifest", "-a", "myapp"}, "", "ERROR: 1 arg required\n")
}

func TestAppsCancel(t *testing.T) {
	r, tm, first := deployed(t)
	ctx := context.Background()
	tm.fails("", []string{"apps", "cancel", "-a", "myapp"}, "Cancelling deployment of myapp...\n", "ERROR: app myapp is not being deployed\n")
	tm.fails("", []string{"apps", "cancel", "nope"}, "Cancelling deployment of nope...\n", "ERROR: app not found: nope\n")

	r.updates.Hold = true
	tm.ok("", []string{"env", "set", "A=1", "-a", "myapp", "-p"}, lines(
		"Setting A... OK",
		"Release: RAAAAAAAAAC",
		"Promoting RAAAAAAAAAC... OK",
	), "")
	// --wait: the events from the cancel on, until the promotion has
	// ended, failed; the release before stays active.
	tm.onSleep = func() {
		if err := r.promotions.Settle(ctx, "myapp"); err != nil {
			panic(err)
		}
	}
	at := eventTime(r, 0)
	tm.ok("", []string{"apps", "cancel", "myapp", "--wait"}, lines(
		"Cancelling deployment of myapp...",
		at+" Service UPDATE_FAILED Resource update cancelled",
		at+" myapp UPDATE_ROLLBACK_COMPLETE",
		"OK",
	), "")
	rel, err := r.store.GetRelease(ctx, "myapp", "RAAAAAAAAAC")
	require.NoError(t, err)
	require.Equal(t, rack.ReleaseFailed, rel.Status)
	require.Equal(t, "Resource update cancelled", rel.Reason)
	a, err := r.store.GetApp(ctx, "myapp")
	require.NoError(t, err)
	require.Equal(t, first, a.Release)
	require.Equal(t, []string{"myapp"}, r.updates.Cancelled)

	// Without --wait, as Convox: the cancel asked for, then OK.
	tm.ok("", []string{"releases", "promote", "RAAAAAAAAAC", "-a", "myapp"}, "Promoting RAAAAAAAAAC... OK\n", "")
	tm.ok("", []string{"apps", "cancel", "-a", "myapp"}, "Cancelling deployment of myapp...\nOK\n", "")
	require.Equal(t, []string{"myapp", "myapp"}, r.updates.Cancelled)
	tm.onSleep()
	tm.fails("", []string{"apps", "cancel", "-a", "myapp", "-w"}, "Cancelling deployment of myapp...\n", "ERROR: app myapp is not being deployed\n")
}

// TestPromoteWaitShowsDeployments: while a promotion waits, each change of
// a service's ECS deployment is a line of its own, among the stack's
// events; deployments as they were before are not shown.
func TestPromoteWaitShowsDeployments(t *testing.T) {
	r, tm, _ := deployed(t)
	ctx := context.Background()
	before := r.clock.Now()
	r.updates.SetDeployments("myapp", []rack.Deployment{
		{Service: "web", State: "COMPLETED", Desired: 2, Running: 2, Updated: before},
		{Service: "worker", State: "COMPLETED", Desired: 1, Running: 1, Updated: before},
	})
	id := "RAAAAAAAAAC"
	tm.ok("", []string{"env", "set", "A=1", "-a", "myapp", "--id"}, id, "Setting A... OK\nRelease: "+id+"\n")
	r.updates.Hold = true
	sleeps := 0
	start := eventTime(r, 0)
	tm.onSleep = func() {
		sleeps++
		r.clock.Advance(5 * time.Second)
		switch sleeps {
		case 1:
			r.updates.SetDeployments("myapp", []rack.Deployment{
				{Service: "web", State: "IN_PROGRESS", Desired: 2, Running: 1, Pending: 1, Updated: r.clock.Now()},
				{Service: "worker", State: "COMPLETED", Desired: 1, Running: 1, Updated: before},
			})
		case 2:
			r.updates.SetDeployments("myapp", []rack.Deployment{
				{Service: "web", State: "COMPLETED", Desired: 2, Running: 2, Reason: "ECS deployment ecs-svc/1 completed.", Updated: r.clock.Now()},
				{Service: "worker", State: "COMPLETED", Desired: 1, Running: 1, Updated: before},
			})
			a, err := r.store.GetApp(ctx, "myapp")
			require.NoError(t, err)
			p, err := r.store.GetRelease(ctx, "myapp", a.Promotion.Release)
			require.NoError(t, err)
			r.updates.Finish(p.Token, rack.UpdateComplete, "")
			require.NoError(t, r.promotions.Settle(ctx, "myapp"))
		}
	}
	at := func(d time.Duration) string { return before.Add(d).UTC().Format(time.RFC3339) }
	tm.ok("", []string{"releases", "promote", id, "-a", "myapp", "--wait"}, lines(
		"Promoting "+id+"... ",
		start+" myapp UPDATE_IN_PROGRESS User Initiated",
		at(5*time.Second)+" web deployment IN_PROGRESS 1/2 running, 1 pending",
		at(10*time.Second)+" myapp UPDATE_COMPLETE",
		at(10*time.Second)+" web deployment COMPLETED 2/2 running ECS deployment ecs-svc/1 completed.",
		"OK",
	), "")
}
