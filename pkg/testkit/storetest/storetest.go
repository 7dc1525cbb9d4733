// Package storetest is the contract every rack.Store keeps: one suite of
// tests that runs against the in-memory store and against DynamoDB on the
// emulator, so the fake the upper layers test with behaves like the real one.
package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/rackhq/rack/pkg/rack"
)

// Clock is a clock that moves only when told to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at a fixed instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)}
}

// Now tells the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Opener returns a new, empty store that tells time by now.
type Opener func(t *testing.T, now rack.Clock) rack.Store

// ID returns the n-th identifier with the given prefix: the same n always
// gives the same id, and larger n sort later.
func ID(prefix string, n int) string {
	b := []byte("AAAAAAAAAA")
	for i := len(b) - 1; i >= 0 && n > 0; i-- {
		b[i] = byte('A' + n%26)
		n /= 26
	}
	return prefix + string(b)
}

// Run runs the contract suite against stores made by open.
func Run(t *testing.T, open Opener) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock()
			c.test(t, &env{t: t, store: open(t, clock.Now), clock: clock})
		})
	}
}

// Cases returns the number of tests in the suite.
func Cases() int { return len(cases) }

type env struct {
	t     *testing.T
	store rack.Store
	clock *Clock
}

var cases = []struct {
	name string
	test func(t *testing.T, e *env)
}{
	{"CreateAndGetApp", testCreateAndGetApp},
	{"CreateAppTwiceConflicts", testCreateAppTwiceConflicts},
	{"CreateAppRejectsBadInput", testCreateAppRejectsBadInput},
	{"GetMissingApp", testGetMissingApp},
	{"UpdateAppIsConditional", testUpdateAppIsConditional},
	{"ListAppsPagesByName", testListAppsPagesByName},
	{"ListRejectsBadPages", testListRejectsBadPages},
	{"DeleteAppDeletesEverythingUnderIt", testDeleteApp},
	{"FiftyConcurrentCreatesOneWins", testConcurrentCreateApp},
	{"CreateBuildNeedsLiveApp", testCreateBuildNeedsLiveApp},
	{"BuildMovesOnlyForward", testBuildMovesOnlyForward},
	{"ConcurrentBuildUpdatesOneWins", testConcurrentBuildUpdates},
	{"DeleteBuild", testDeleteBuild},
	{"ListBuildsNewestFirst", testListBuildsNewestFirst},
	{"CreateAndGetRelease", testCreateAndGetRelease},
	{"ReleaseMovesOnlyForward", testReleaseMovesOnlyForward},
	{"ListFifteenHundredReleases", testListManyReleases},
	{"ReleasesChainFromTheirParent", testReleasesChainFromTheirParent},
	{"Settings", testSettings},
	{"TwentyConcurrentLeaseClaimsOneHolder", testLeaseOneHolder},
	{"LeaseExpiresAndRenews", testLeaseExpiry},
	{"LeaseRejectsBadInput", testLeaseRejectsBadInput},
	{"IdempotentWorkBeginsOnce", testIdempotentOnce},
	{"IdempotentWorkCanBeAbandoned", testIdempotentAbandon},
}
