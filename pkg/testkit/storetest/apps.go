package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

// requireCode fails unless err carries code.
func requireCode(t *testing.T, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, rack.ErrorCode(err), "error: %v", err)
}

func (e *env) createApp(name string) rack.App {
	e.t.Helper()
	app, err := e.store.CreateApp(context.Background(), rack.App{Name: name, Status: rack.AppRunning})
	require.NoError(e.t, err)
	return app
}

func testCreateAndGetApp(t *testing.T, e *env) {
	ctx := context.Background()
	created, err := e.store.CreateApp(ctx, rack.App{
		Name:       "web",
		Status:     rack.AppCreating,
		Parameters: map[string]string{"Internal": "No"},
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), created.Version)
	require.True(t, created.Created.Equal(e.clock.Now()), "created %v, clock %v", created.Created, e.clock.Now())
	require.True(t, created.Updated.Equal(created.Created))

	got, err := e.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, created, got)
	require.Equal(t, rack.AppCreating, got.Status)
	require.Equal(t, map[string]string{"Internal": "No"}, got.Parameters)
	require.Empty(t, got.Release)
}

func testCreateAppTwiceConflicts(t *testing.T, e *env) {
	ctx := context.Background()
	first := e.createApp("api")
	e.clock.Advance(time.Second)
	_, err := e.store.CreateApp(ctx, rack.App{Name: "api", Status: rack.AppCreating})
	requireCode(t, rack.ECONFLICT, err)
	require.Contains(t, err.Error(), "api already exists")

	got, err := e.store.GetApp(ctx, "api")
	require.NoError(t, err)
	require.Equal(t, first, got, "the losing create must not change the app")
}

func testCreateAppRejectsBadInput(t *testing.T, e *env) {
	for _, name := range []string{"", "Web", "1app", "-app", "app-", "my_app", "my.app", "äpp", strings.Repeat("a", 31)} {
		_, err := e.store.CreateApp(context.Background(), rack.App{Name: name, Status: rack.AppCreating})
		requireCode(t, rack.EINVALID, err)
	}
	_, err := e.store.CreateApp(context.Background(), rack.App{Name: "ok", Status: "sleeping"})
	requireCode(t, rack.EINVALID, err)

	apps, _, err := e.store.ListApps(context.Background(), rack.Page{})
	require.NoError(t, err)
	require.Empty(t, apps, "nothing is written for bad input")

	e.createApp(strings.Repeat("a", 30))
}

func testGetMissingApp(t *testing.T, e *env) {
	_, err := e.store.GetApp(context.Background(), "nope")
	requireCode(t, rack.ENOTFOUND, err)
	require.Equal(t, "app not found: nope", err.Error())
}

func testUpdateAppIsConditional(t *testing.T, e *env) {
	ctx := context.Background()
	created, err := e.store.CreateApp(ctx, rack.App{Name: "web", Status: rack.AppCreating})
	require.NoError(t, err)
	e.clock.Advance(time.Minute)

	next := created
	next.Status, next.Release = rack.AppRunning, ID(rack.ReleaseIDPrefix, 1)
	next.Parameters = map[string]string{"Count": "2"}
	updated, err := e.store.UpdateApp(ctx, next, rack.AppCreating)
	require.NoError(t, err)
	require.Equal(t, int64(2), updated.Version)
	require.Equal(t, rack.AppRunning, updated.Status)
	require.Equal(t, next.Release, updated.Release)
	require.Equal(t, map[string]string{"Count": "2"}, updated.Parameters)
	require.True(t, updated.Created.Equal(created.Created))
	require.True(t, updated.Updated.Equal(e.clock.Now()))

	// The same write again is stale: its version is 1, the app's is 2.
	_, err = e.store.UpdateApp(ctx, next, rack.AppCreating)
	requireCode(t, rack.ECONFLICT, err)

	// Right version, wrong expected status.
	wrongFrom := updated
	wrongFrom.Status = rack.AppRunning
	_, err = e.store.UpdateApp(ctx, wrongFrom, rack.AppUpdating)
	requireCode(t, rack.ECONFLICT, err)

	// Backwards is refused before anything is written.
	back := updated
	back.Status = rack.AppCreating
	_, err = e.store.UpdateApp(ctx, back, rack.AppRunning)
	requireCode(t, rack.EINVALID, err)

	// Removing the release and parameters is a write like any other.
	cleared := updated
	cleared.Status, cleared.Release, cleared.Parameters = rack.AppUpdating, "", nil
	cleared, err = e.store.UpdateApp(ctx, cleared, rack.AppRunning)
	require.NoError(t, err)
	require.Empty(t, cleared.Release)
	require.Empty(t, cleared.Parameters)

	got, err := e.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, cleared, got)

	// A promotion and the lock are kept, and freed, with the app.
	promoting := got
	promoting.Locked = true
	promoting.Promotion = rack.Promotion{Release: ID(rack.ReleaseIDPrefix, 2), Submitted: true, Started: e.clock.Now(), Router: "router.example.org"}
	promoting.Router = "old-router.example.org"
	zero, two := 0, 2
	promoting.Scale = map[string]rack.ServiceScale{"web": {Count: &two, CPU: 512, Memory: 1024}, "worker": {Count: &zero}}
	promoting, err = e.store.UpdateApp(ctx, promoting, rack.AppUpdating)
	require.NoError(t, err)
	got, err = e.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.True(t, got.Locked)
	require.Equal(t, ID(rack.ReleaseIDPrefix, 2), got.Promotion.Release)
	require.True(t, got.Promotion.Submitted)
	require.True(t, got.Promotion.Started.Equal(e.clock.Now()))
	require.Equal(t, "router.example.org", got.Promotion.Router)
	require.Equal(t, "old-router.example.org", got.Router)
	require.Equal(t, promoting.Scale, got.Scale, "a count of 0 is kept as 0, and an unset one as unset")
	freed := got
	freed.Locked, freed.Promotion, freed.Router, freed.Scale = false, rack.Promotion{}, "", nil
	freed, err = e.store.UpdateApp(ctx, freed, rack.AppUpdating)
	require.NoError(t, err)
	got, err = e.store.GetApp(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, freed, got)
	require.False(t, got.Promotion.Active())

	missing := rack.App{Name: "ghost", Status: rack.AppRunning, Version: 1}
	_, err = e.store.UpdateApp(ctx, missing, rack.AppCreating)
	requireCode(t, rack.ENOTFOUND, err)
}

func testListAppsPagesByName(t *testing.T, e *env) {
	ctx := context.Background()
	names := []string{"kilo", "alpha", "juliet", "echo", "bravo", "delta", "charlie"}
	for _, n := range names {
		e.createApp(n)
	}
	var seen []string
	cursor, pages := "", 0
	for {
		apps, next, err := e.store.ListApps(ctx, rack.Page{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		require.LessOrEqual(t, len(apps), 3)
		for _, a := range apps {
			seen = append(seen, a.Name)
		}
		pages++
		require.Less(t, pages, 10, "paging must end")
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, []string{"alpha", "bravo", "charlie", "delta", "echo", "juliet", "kilo"}, seen)
	require.GreaterOrEqual(t, pages, 3)
}

func testListRejectsBadPages(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("one")
	for _, page := range []rack.Page{{Limit: -1}, {Limit: rack.MaxPageLimit + 1}, {Cursor: "not a cursor"}, {Cursor: "AAAA"}} {
		_, _, err := e.store.ListApps(ctx, page)
		requireCode(t, rack.EINVALID, err)
		_, _, err = e.store.ListBuilds(ctx, "one", page)
		requireCode(t, rack.EINVALID, err)
	}
}

func testDeleteApp(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("doomed")
	e.createApp("kept")
	for _, app := range []string{"doomed", "kept"} {
		for i := 1; i <= 3; i++ {
			_, err := e.store.CreateBuild(ctx, rack.Build{App: app, ID: ID(rack.BuildIDPrefix, i), Status: rack.BuildCreated})
			require.NoError(t, err)
			_, err = e.store.CreateRelease(ctx, rack.Release{App: app, ID: ID(rack.ReleaseIDPrefix, i), Parent: parentOf(i), Status: rack.ReleaseCreated})
			require.NoError(t, err)
		}
		_, err := e.store.ClaimLease(ctx, app, "promotion", "first", time.Hour)
		require.NoError(t, err)
	}

	require.NoError(t, e.store.DeleteApp(ctx, "doomed"))

	_, err := e.store.GetApp(ctx, "doomed")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = e.store.GetBuild(ctx, "doomed", ID(rack.BuildIDPrefix, 1))
	requireCode(t, rack.ENOTFOUND, err)
	_, err = e.store.GetRelease(ctx, "doomed", ID(rack.ReleaseIDPrefix, 1))
	requireCode(t, rack.ENOTFOUND, err)
	requireCode(t, rack.ENOTFOUND, e.store.DeleteApp(ctx, "doomed"))

	// A new app of the same name starts empty, its lease free.
	e.createApp("doomed")
	bs, _, err := e.store.ListBuilds(ctx, "doomed", rack.Page{})
	require.NoError(t, err)
	require.Empty(t, bs)
	rs, _, err := e.store.ListReleases(ctx, "doomed", rack.Page{})
	require.NoError(t, err)
	require.Empty(t, rs)
	_, err = e.store.ClaimLease(ctx, "doomed", "promotion", "second", time.Hour)
	require.NoError(t, err)

	// The other app is untouched.
	bs, _, err = e.store.ListBuilds(ctx, "kept", rack.Page{})
	require.NoError(t, err)
	require.Len(t, bs, 3)
	_, err = e.store.ClaimLease(ctx, "kept", "promotion", "second", time.Hour)
	requireCode(t, rack.ECONFLICT, err)
}

func testConcurrentCreateApp(t *testing.T, e *env) {
	const n = 50
	errs := concurrently(n, func(i int) error {
		_, err := e.store.CreateApp(context.Background(), rack.App{
			Name:       "contested",
			Status:     rack.AppCreating,
			Parameters: map[string]string{"Writer": fmt.Sprint(i)},
		})
		return err
	})
	wins, conflicts := countOutcomes(t, errs, rack.ECONFLICT)
	require.Equal(t, 1, wins)
	require.Equal(t, n-1, conflicts)
	t.Logf("%d concurrent creates: %d succeeded, %d conflicted", n, wins, conflicts)
}

// concurrently runs f(0..n-1) in n goroutines released together and returns
// their errors in order.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// countOutcomes counts successes and the errors carrying want, and fails on
// any other error.
func countOutcomes(t *testing.T, errs []error, want string) (ok, matched int) {
	t.Helper()
	for _, err := range errs {
		switch rack.ErrorCode(err) {
		case "":
			ok++
		case want:
			matched++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	return ok, matched
}
