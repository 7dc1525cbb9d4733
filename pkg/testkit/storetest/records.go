package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

func testSettings(t *testing.T, e *env) {
	ctx := context.Background()
	_, err := e.store.GetSetting(ctx, "password")
	requireCode(t, rack.ENOTFOUND, err)
	_, err = e.store.PutSetting(ctx, rack.Setting{Value: []byte("x")})
	requireCode(t, rack.EINVALID, err)

	s, err := e.store.PutSetting(ctx, rack.Setting{Name: "password", Value: []byte("hash-1")})
	require.NoError(t, err)
	require.Equal(t, int64(1), s.Version)
	_, err = e.store.PutSetting(ctx, rack.Setting{Name: "password", Value: []byte("hash-other")})
	requireCode(t, rack.ECONFLICT, err)

	e.clock.Advance(time.Second)
	s.Value = []byte("hash-2")
	s, err = e.store.PutSetting(ctx, s)
	require.NoError(t, err)
	require.Equal(t, int64(2), s.Version)

	stale := s
	stale.Version, stale.Value = 1, []byte("hash-stale")
	_, err = e.store.PutSetting(ctx, stale)
	requireCode(t, rack.ECONFLICT, err)

	got, err := e.store.GetSetting(ctx, "password")
	require.NoError(t, err)
	require.Equal(t, s, got)
	require.Equal(t, []byte("hash-2"), got.Value)
	require.True(t, got.Updated.Equal(e.clock.Now()))

	_, err = e.store.PutSetting(ctx, rack.Setting{Name: "never-made", Version: 4})
	requireCode(t, rack.ENOTFOUND, err)
}

func testLeaseOneHolder(t *testing.T, e *env) {
	ctx := context.Background()
	e.createApp("web")
	const n = 20
	leases := make([]rack.Lease, n)
	errs := concurrently(n, func(i int) error {
		var err error
		leases[i], err = e.store.ClaimLease(ctx, "web", "promotion", fmt.Sprintf("holder-%d", i), time.Minute)
		return err
	})
	wins, conflicts := countOutcomes(t, errs, rack.ECONFLICT)
	require.Equal(t, 1, wins)
	require.Equal(t, n-1, conflicts)
	t.Logf("%d concurrent claims: %d holder, %d conflicted", n, wins, conflicts)

	// Whoever holds it, every other claim and release still fails.
	var holder string
	for i, err := range errs {
		if err == nil {
			holder = leases[i].Holder
		}
	}
	_, err := e.store.ClaimLease(ctx, "web", "promotion", "latecomer", time.Minute)
	requireCode(t, rack.ECONFLICT, err)
	requireCode(t, rack.ECONFLICT, e.store.ReleaseLease(ctx, "web", "promotion", "latecomer"))

	// Leases are per app and per name.
	_, err = e.store.ClaimLease(ctx, "web", "other-lease", "latecomer", time.Minute)
	require.NoError(t, err)
	_, err = e.store.ClaimLease(ctx, "api", "promotion", "latecomer", time.Minute)
	require.NoError(t, err)

	require.NoError(t, e.store.ReleaseLease(ctx, "web", "promotion", holder))
	_, err = e.store.ClaimLease(ctx, "web", "promotion", "latecomer", time.Minute)
	require.NoError(t, err)
}

func testLeaseExpiry(t *testing.T, e *env) {
	ctx := context.Background()
	first, err := e.store.ClaimLease(ctx, "web", "promotion", "first", time.Minute)
	require.NoError(t, err)
	require.True(t, first.Expires.Equal(e.clock.Now().Add(time.Minute)))

	// A renewal by the holder extends the lease.
	e.clock.Advance(50 * time.Second)
	renewed, err := e.store.ClaimLease(ctx, "web", "promotion", "first", time.Minute)
	require.NoError(t, err)
	require.True(t, renewed.Expires.After(first.Expires))

	e.clock.Advance(59 * time.Second)
	_, err = e.store.ClaimLease(ctx, "web", "promotion", "second", time.Minute)
	requireCode(t, rack.ECONFLICT, err)

	// At its expiry the lease is free: a new claim wins, and the old holder
	// can neither release it nor take it back.
	e.clock.Advance(time.Second)
	second, err := e.store.ClaimLease(ctx, "web", "promotion", "second", time.Minute)
	require.NoError(t, err)
	require.Equal(t, "second", second.Holder)
	requireCode(t, rack.ECONFLICT, e.store.ReleaseLease(ctx, "web", "promotion", "first"))
	_, err = e.store.ClaimLease(ctx, "web", "promotion", "first", time.Minute)
	requireCode(t, rack.ECONFLICT, err)

	// Releasing a free lease is fine, twice.
	require.NoError(t, e.store.ReleaseLease(ctx, "web", "promotion", "second"))
	require.NoError(t, e.store.ReleaseLease(ctx, "web", "promotion", "second"))
}

func testLeaseRejectsBadInput(t *testing.T, e *env) {
	ctx := context.Background()
	for _, c := range []struct {
		app, name, holder string
		ttl               time.Duration
	}{
		{"", "promotion", "h", time.Minute},
		{"web", "", "h", time.Minute},
		{"web", "promotion", "", time.Minute},
		{"web", "promotion", "h", 0},
		{"web", "promotion", "h", -time.Second},
	} {
		_, err := e.store.ClaimLease(ctx, c.app, c.name, c.holder, c.ttl)
		requireCode(t, rack.EINVALID, err)
	}
	// Nothing was claimed by the bad calls.
	_, err := e.store.ClaimLease(ctx, "web", "promotion", "someone", time.Minute)
	require.NoError(t, err)
}

func testIdempotentOnce(t *testing.T, e *env) {
	ctx := context.Background()
	const n = 20
	recs := make([]rack.Idempotency, n)
	fresh := make([]bool, n)
	errs := concurrently(n, func(i int) error {
		var err error
		recs[i], fresh[i], err = e.store.BeginIdempotent(ctx, "request-1", time.Hour)
		return err
	})
	began := 0
	for i, err := range errs {
		require.NoError(t, err)
		require.Equal(t, rack.IdempotencyPending, recs[i].Status)
		if fresh[i] {
			began++
		}
	}
	require.Equal(t, 1, began)

	require.NoError(t, e.store.CompleteIdempotent(ctx, "request-1", []byte(`{"PhysicalResourceId":"x"}`)))
	rec, fresh1, err := e.store.BeginIdempotent(ctx, "request-1", time.Hour)
	require.NoError(t, err)
	require.False(t, fresh1)
	require.Equal(t, rack.IdempotencyDone, rec.Status)
	require.Equal(t, []byte(`{"PhysicalResourceId":"x"}`), rec.Result)

	requireCode(t, rack.ECONFLICT, e.store.CompleteIdempotent(ctx, "request-1", []byte("again")))
	requireCode(t, rack.ECONFLICT, e.store.AbandonIdempotent(ctx, "request-1"))
	requireCode(t, rack.ENOTFOUND, e.store.CompleteIdempotent(ctx, "request-2", nil))

	// Once expired, the key can begin again.
	e.clock.Advance(time.Hour)
	rec, fresh1, err = e.store.BeginIdempotent(ctx, "request-1", time.Hour)
	require.NoError(t, err)
	require.True(t, fresh1)
	require.Equal(t, rack.IdempotencyPending, rec.Status)
	require.Empty(t, rec.Result)

	_, _, err = e.store.BeginIdempotent(ctx, "", time.Hour)
	requireCode(t, rack.EINVALID, err)
	_, _, err = e.store.BeginIdempotent(ctx, "request-3", 0)
	requireCode(t, rack.EINVALID, err)
}

func testIdempotentAbandon(t *testing.T, e *env) {
	ctx := context.Background()
	_, fresh, err := e.store.BeginIdempotent(ctx, "work", time.Hour)
	require.NoError(t, err)
	require.True(t, fresh)
	_, fresh, err = e.store.BeginIdempotent(ctx, "work", time.Hour)
	require.NoError(t, err)
	require.False(t, fresh)

	require.NoError(t, e.store.AbandonIdempotent(ctx, "work"))
	require.NoError(t, e.store.AbandonIdempotent(ctx, "work"), "abandoning twice is fine")
	_, fresh, err = e.store.BeginIdempotent(ctx, "work", time.Hour)
	require.NoError(t, err)
	require.True(t, fresh, "abandoned work can begin again")
}
