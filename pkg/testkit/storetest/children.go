package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

func testCreateBuildNeedsLiveApp(t *testing.T, e *env) {
	ctx := context.Background()
	id := ID(rack.BuildIDPrefix, 1)
	_, err := e.store.CreateBuild(ctx, rack.Build{App: "ghost", ID: id, Status: rack.BuildCreated})
	requireCode(t, rack.ENOTFOUND, err)
	_, err = e.store.CreateRelease(ctx, rack.Release{App: "ghost", ID: ID(rack.ReleaseIDPrefix, 1), Status: rack.ReleaseCreated})
	requireCode(t, rack.ENOTFOUND, err)

	app := e.createApp("web")
	for _, bad := range []rack.Build{
		{App: "web", ID: "B123", Status: rack.BuildCreated},
		{App: "web", ID: ID(rack.ReleaseIDPrefix, 1), Status: rack.BuildCreated},
		{App: "web", ID: id, Status: "baking"},
		{App: "Web", ID: id, Status: rack.BuildCreated},
	} {
		_, err := e.store.CreateBuild(ctx, bad)
		requireCode(t, rack.EINVALID, err)
	}

	b, err := e.store.CreateBuild(ctx, rack.Build{App: "web", ID: id, Status: rack.BuildCreated, Description: "first"})
	require.NoError(t, err)
	require.Equal(t, int64(1), b.Version)
	_, err = e.store.CreateBuild(ctx, rack.Build{App: "web", ID: id, Status: rack.BuildCreated, Description: "second"})
	requireCode(t, rack.ECONFLICT, err)
	got, err := e.store.GetBuild(ctx, "web", id)
	require.NoError(t, err)
	require.Equal(t, "first", got.Description)

	// An app being deleted takes no new builds or releases.
	app.Status = rack.AppDeleting
	_, err = e.store.UpdateApp(ctx, app, rack.AppRunning)
	require.NoError(t, err)
	_, err = e.store.CreateBuild(ctx, rack.Build{App: "web", ID: ID(rack.BuildIDPrefix, 2), Status: rack.BuildCreated})
	requireCode(t, rack.ECONFLICT, err)
	_, err = e.store.CreateRelease(ctx, rack.Release{App: "web", ID: ID(rack.ReleaseIDPrefix, 2), Status: rack.ReleaseCreated})
	requireCode(t, rack.ECONFLICT, err)
	_, err = e.store.GetBuild(ctx, "web", ID(rack.BuildIDPrefix, 2))
	requireCode(t, rack.ENOTFOUND, err)
}

func testBuildMovesOnlyForward(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	b, err := e.store.CreateBuild(ctx, rack.Build{App: "web", ID: ID(rack.BuildIDPrefix, 7), Status: rack.BuildCreated})
	require.NoError(t, err)
	created := b.Created

	e.clock.Advance(time.Second)
	b.Status, b.Started, b.Logs = rack.BuildRunning, e.clock.Now(), "logs://build"
	b.Job, b.LogGroup, b.LogStream = "builder:0b1c", "/aws/codebuild/builder", "0b1c"
	b, err = e.store.UpdateBuild(ctx, b, rack.BuildCreated)
	require.NoError(t, err)
	require.Equal(t, int64(2), b.Version)

	e.clock.Advance(time.Minute)
	b.Status, b.Ended, b.Release, b.Manifest = rack.BuildComplete, e.clock.Now(), ID(rack.ReleaseIDPrefix, 3), "services:\n  web: {}\n"
	b, err = e.store.UpdateBuild(ctx, b, rack.BuildRunning)
	require.NoError(t, err)
	require.Equal(t, int64(3), b.Version)

	got, err := e.store.GetBuild(ctx, "web", b.ID)
	require.NoError(t, err)
	require.Equal(t, b, got)
	require.True(t, got.Created.Equal(created))
	require.True(t, got.Ended.Sub(got.Started) == time.Minute)

	// A late "running" event after completion is refused.
	late := got
	late.Status = rack.BuildRunning
	_, err = e.store.UpdateBuild(ctx, late, rack.BuildComplete)
	requireCode(t, rack.EINVALID, err)

	// A replayed "complete" written from a stale read conflicts.
	stale := got
	stale.Version = 2
	_, err = e.store.UpdateBuild(ctx, stale, rack.BuildRunning)
	requireCode(t, rack.ECONFLICT, err)

	_, err = e.store.UpdateBuild(ctx, rack.Build{App: "web", ID: ID(rack.BuildIDPrefix, 99), Status: rack.BuildRunning, Version: 1}, rack.BuildCreated)
	requireCode(t, rack.ENOTFOUND, err)
}

func testDeleteBuild(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	for i := 1; i <= 2; i++ {
		_, err := e.store.CreateBuild(ctx, rack.Build{App: "web", ID: ID(rack.BuildIDPrefix, i), Status: rack.BuildCreated})
		require.NoError(t, err)
	}
	require.NoError(t, e.store.DeleteBuild(ctx, "web", ID(rack.BuildIDPrefix, 1)))
	_, err := e.store.GetBuild(ctx, "web", ID(rack.BuildIDPrefix, 1))
	requireCode(t, rack.ENOTFOUND, err)
	require.NoError(t, e.store.DeleteBuild(ctx, "web", ID(rack.BuildIDPrefix, 1)), "deleting again is not an error")
	bs, next, err := e.store.ListBuilds(ctx, "web", rack.Page{})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, bs, 1)
	require.Equal(t, ID(rack.BuildIDPrefix, 2), bs[0].ID)
}

func testConcurrentBuildUpdates(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	b, err := e.store.CreateBuild(ctx, rack.Build{App: "web", ID: ID(rack.BuildIDPrefix, 1), Status: rack.BuildRunning})
	require.NoError(t, err)

	const n = 10
	errs := concurrently(n, func(i int) error {
		next := b
		next.Status = rack.BuildComplete
		if i%2 == 1 {
			next.Status = rack.BuildFailed
		}
		_, err := e.store.UpdateBuild(ctx, next, rack.BuildRunning)
		return err
	})
	wins, conflicts := countOutcomes(t, errs, rack.ECONFLICT)
	require.Equal(t, 1, wins)
	require.Equal(t, n-1, conflicts)

	got, err := e.store.GetBuild(ctx, "web", b.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), got.Version)
}

func testListBuildsNewestFirst(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	e.createApp("other")
	// Builds 1..5 a second apart, then 6..8 in the same instant: ties are
	// ordered by id, highest first.
	for i := 1; i <= 8; i++ {
		if i <= 6 {
			e.clock.Advance(time.Second)
		}
		_, err := e.store.CreateBuild(ctx, rack.Build{App: "web", ID: ID(rack.BuildIDPrefix, i), Status: rack.BuildCreated})
		require.NoError(t, err)
	}
	_, err := e.store.CreateBuild(ctx, rack.Build{App: "other", ID: ID(rack.BuildIDPrefix, 100), Status: rack.BuildCreated})
	require.NoError(t, err)

	var ids []string
	cursor := ""
	for range 10 {
		page, next, err := e.store.ListBuilds(ctx, "web", rack.Page{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		for _, b := range page {
			require.Equal(t, "web", b.App)
			ids = append(ids, b.ID)
		}
		if next == "" {
			break
		}
		// Another app's list refuses this app's cursor.
		_, _, err = e.store.ListBuilds(ctx, "other", rack.Page{Limit: 3, Cursor: next})
		requireCode(t, rack.EINVALID, err)
		cursor = next
	}
	want := []string{}
	for _, i := range []int{8, 7, 6, 5, 4, 3, 2, 1} {
		want = append(want, ID(rack.BuildIDPrefix, i))
	}
	require.Equal(t, want, ids)
}

func testCreateAndGetRelease(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	env := []byte{0, 1, 2, 250, 'x', '\n'}
	r, err := e.store.CreateRelease(ctx, rack.Release{
		App:         "web",
		ID:          ID(rack.ReleaseIDPrefix, 1),
		Build:       ID(rack.BuildIDPrefix, 1),
		Description: "env add:A",
		Status:      rack.ReleaseCreated,
		Manifest:    "services:\n  web:\n    port: 3000\n",
		Env:         env,
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), r.Version)
	got, err := e.store.GetRelease(ctx, "web", r.ID)
	require.NoError(t, err)
	require.Equal(t, r, got)
	require.Equal(t, env, got.Env)

	_, err = e.store.CreateRelease(ctx, rack.Release{App: "web", ID: r.ID, Status: rack.ReleaseCreated})
	requireCode(t, rack.ECONFLICT, err)
	_, err = e.store.GetRelease(ctx, "web", ID(rack.ReleaseIDPrefix, 2))
	requireCode(t, rack.ENOTFOUND, err)
	_, err = e.store.CreateRelease(ctx, rack.Release{App: "web", ID: "RSHORT", Status: rack.ReleaseCreated})
	requireCode(t, rack.EINVALID, err)
}

func testReleaseMovesOnlyForward(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	r, err := e.store.CreateRelease(ctx, rack.Release{App: "web", ID: ID(rack.ReleaseIDPrefix, 1), Status: rack.ReleaseCreated, Env: []byte("sealed"), Build: ID(rack.BuildIDPrefix, 1)})
	require.NoError(t, err)

	skip := r
	skip.Status = rack.ReleaseActive
	_, err = e.store.UpdateRelease(ctx, skip, rack.ReleaseCreated)
	requireCode(t, rack.EINVALID, err)

	// A promotion, a supersession, and a rollback promoting it again. The
	// build and environment of a release never change on update.
	for _, step := range []struct{ from, to rack.ReleaseStatus }{
		{rack.ReleaseCreated, rack.ReleasePromoting},
		{rack.ReleasePromoting, rack.ReleaseActive},
		{rack.ReleaseActive, rack.ReleaseSuperseded},
		{rack.ReleaseSuperseded, rack.ReleasePromoting},
		{rack.ReleasePromoting, rack.ReleaseFailed},
	} {
		next := r
		next.Status, next.Env, next.Build = step.to, []byte("tampered"), ID(rack.BuildIDPrefix, 9)
		next.Token, next.Reason = "token-"+string(step.to), ""
		if step.to == rack.ReleaseFailed {
			next.Reason = "Service: the service did not stabilize"
		}
		r, err = e.store.UpdateRelease(ctx, next, step.from)
		require.NoError(t, err, "%s → %s", step.from, step.to)
		require.Equal(t, step.to, r.Status)
		require.Equal(t, next.Token, r.Token, "the promotion's token is kept")
		require.Equal(t, next.Reason, r.Reason, "the failure's reason is kept")
		require.Equal(t, []byte("sealed"), r.Env)
		require.Equal(t, ID(rack.BuildIDPrefix, 1), r.Build)
	}
	require.Equal(t, int64(6), r.Version)

	stale := r
	stale.Version = 3
	stale.Status = rack.ReleasePromoting
	_, err = e.store.UpdateRelease(ctx, stale, rack.ReleaseFailed)
	requireCode(t, rack.ECONFLICT, err)
}

func testListManyReleases(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("busy")
	const n = 1500
	for i := 1; i <= n; i++ {
		e.clock.Advance(time.Millisecond)
		_, err := e.store.CreateRelease(ctx, rack.Release{App: "busy", ID: ID(rack.ReleaseIDPrefix, i), Parent: parentOf(i), Status: rack.ReleaseCreated})
		require.NoError(t, err)
	}
	seen := map[string]bool{}
	var prev time.Time
	cursor, pages, count := "", 0, 0
	for {
		page, next, err := e.store.ListReleases(ctx, "busy", rack.Page{Cursor: cursor})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), rack.DefaultPageLimit)
		for _, r := range page {
			require.False(t, seen[r.ID], "release %s listed twice", r.ID)
			seen[r.ID] = true
			if !prev.IsZero() {
				require.True(t, r.Created.Before(prev), "%s (%v) listed after a release of %v", r.ID, r.Created, prev)
			}
			require.Equal(t, ID(rack.ReleaseIDPrefix, n-count), r.ID)
			prev = r.Created
			count++
		}
		pages++
		require.LessOrEqual(t, pages, n, "paging must end")
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, n, count)
	require.GreaterOrEqual(t, pages, n/rack.DefaultPageLimit)
	t.Logf("%d releases listed newest first in %d pages", count, pages)
}

// parentOf is the parent of the i-th release of a chain made in order.
func parentOf(i int) string {
	if i == 1 {
		return ""
	}
	return ID(rack.ReleaseIDPrefix, i-1)
}

// testReleasesChainFromTheirParent: a release is recorded only when its
// parent is still its app's latest, and becomes the latest; of twenty made
// from the same parent at once, one is recorded.
func testReleasesChainFromTheirParent(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	first := ID(rack.ReleaseIDPrefix, 1)
	_, err := e.store.CreateRelease(ctx, rack.Release{App: "web", ID: first, Status: rack.ReleaseCreated})
	require.NoError(t, err)
	app, err := e.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, first, app.Latest)
	// Another "first" release: the app has one already.
	_, err = e.store.CreateRelease(ctx, rack.Release{App: "web", ID: ID(rack.ReleaseIDPrefix, 2), Status: rack.ReleaseCreated})
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "its latest release is "+first)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	for i := range 20 {
		wg.Go(func() {
			id := ID(rack.ReleaseIDPrefix, 100+i)
			_, err := e.store.CreateRelease(ctx, rack.Release{App: "web", ID: id, Parent: first, Status: rack.ReleaseCreated})
			if err == nil {
				mu.Lock()
				won = append(won, id)
				mu.Unlock()
				return
			}
			require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
		})
	}
	wg.Wait()
	require.Len(t, won, 1, "one of twenty made from the same parent")
	app, err = e.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, won[0], app.Latest)
	got, err := e.store.GetRelease(ctx, "web", won[0])
	require.NoError(t, err)
	require.Equal(t, first, got.Parent)
	rs, _, err := e.store.ListReleases(ctx, "web", rack.Page{})
	require.NoError(t, err)
	require.Len(t, rs, 2, "the losers recorded nothing")

	// A later app update keeps the latest release.
	app.Release = won[0]
	app, err = e.store.UpdateApp(ctx, app, app.Status)
	require.NoError(t, err)
	require.Equal(t, won[0], app.Latest)
}
