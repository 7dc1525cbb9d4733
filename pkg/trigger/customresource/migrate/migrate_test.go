package migrate_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/trigger/customresource/migrate"
)

func TestValidate(t *testing.T) {
	run := func(context.Context, rack.Store) error { return nil }
	require.NoError(t, migrate.Validate(migrate.All))
	for _, tc := range []struct {
		migrations []migrate.Migration
		err        string
	}{
		{[]migrate.Migration{{ID: "", Run: run}}, "must be lower-case"},
		{[]migrate.Migration{{ID: "Upper", Run: run}}, "must be lower-case"},
		{[]migrate.Migration{{ID: "a/b", Run: run}}, "must be lower-case"},
		{[]migrate.Migration{{ID: "a", Run: run}, {ID: "a", Run: run}}, "used twice"},
		{[]migrate.Migration{{ID: "a"}}, "no Run"},
	} {
		require.ErrorContains(t, migrate.Validate(tc.migrations), tc.err)
		_, err := migrate.Run(t.Context(), memstore.New(nil), tc.migrations, "1", nil)
		require.ErrorContains(t, err, tc.err, "Run validates first")
	}
}

// TestRunOnce: each migration runs once however often Run is called, and
// an invalid list runs nothing.
func TestRunOnce(t *testing.T) {
	store := memstore.New(nil)
	var runs [3]atomic.Int32
	migrations := []migrate.Migration{}
	for i, id := range []string{"2026-11-01-a", "2026-11-02-b", "2026-11-03-c"} {
		migrations = append(migrations, migrate.Migration{ID: id, Run: func(context.Context, rack.Store) error {
			runs[i].Add(1)
			return nil
		}})
	}
	ran, err := migrate.Run(t.Context(), store, migrations[:2], "1", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"2026-11-01-a", "2026-11-02-b"}, ran)
	ran, err = migrate.Run(t.Context(), store, migrations, "2", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"2026-11-03-c"}, ran)
	ran, err = migrate.Run(t.Context(), store, migrations, "2", nil)
	require.NoError(t, err)
	require.Empty(t, ran)
	for i := range runs {
		require.EqualValues(t, 1, runs[i].Load())
	}
}

// TestConcurrentRuns: runs at the same moment may both run a migration,
// but exactly one records it, and neither fails.
func TestConcurrentRuns(t *testing.T) {
	store := memstore.New(nil)
	var gate sync.WaitGroup
	const runners = 8
	gate.Add(runners)
	migrations := []migrate.Migration{{ID: "m", Run: func(context.Context, rack.Store) error {
		// Everyone passes the record check before anyone records.
		gate.Done()
		gate.Wait()
		return nil
	}}}
	var wg sync.WaitGroup
	errs := make(chan error, runners)
	for range runners {
		wg.Go(func() {
			_, err := migrate.Run(context.Background(), store, migrations, "1", nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st, err := store.GetSetting(t.Context(), "migration/m")
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Version, "recorded once")
}

// TestRunStops: a failure stops the run and is not recorded, so the next
// run tries it again; a store failure is reported.
func TestRunStops(t *testing.T) {
	store := memstore.New(nil)
	fail := errors.New("boom")
	var later atomic.Int32
	migrations := []migrate.Migration{
		{ID: "a", Run: func(context.Context, rack.Store) error { return fail }},
		{ID: "b", Run: func(context.Context, rack.Store) error { later.Add(1); return nil }},
	}
	_, err := migrate.Run(t.Context(), store, migrations, "1", nil)
	require.ErrorIs(t, err, fail)
	require.ErrorContains(t, err, "migration a: boom")
	require.Zero(t, later.Load())
	fail = nil
	migrations[0].Run = func(context.Context, rack.Store) error { return nil }
	ran, err := migrate.Run(t.Context(), store, migrations, "1", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, ran)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = migrate.Run(ctx, store, []migrate.Migration{{ID: "c", Run: func(context.Context, rack.Store) error { return nil }}}, "1", nil)
	require.ErrorIs(t, err, context.Canceled)
}
