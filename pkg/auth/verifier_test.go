package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/rack"
)

const (
	password = "correct-horse-battery-staple"
	addr     = "192.0.2.1:50000"
	ttl      = 5 * time.Minute
)

// fakeHashes is a HashSource that counts its reads.
type fakeHashes struct {
	mu    sync.Mutex
	hash  []byte
	err   error
	reads int
}

var _ auth.HashSource = (*fakeHashes)(nil)

func (f *fakeHashes) PasswordHash(context.Context) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	switch {
	case f.err != nil:
		return nil, f.err
	case f.hash == nil:
		return nil, rack.Errorf(rack.ENOTFOUND, "no password hash")
	}
	return f.hash, nil
}

func (f *fakeHashes) set(hash []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hash = hash
}

func (f *fakeHashes) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// fakeClock is a clock that only moves when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeSleep records the waits asked of it and returns at once.
type fakeSleep struct {
	mu     sync.Mutex
	delays []time.Duration
	during func() // runs inside the first wait, if set
}

func (s *fakeSleep) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	during := s.during
	s.during = nil
	s.mu.Unlock()
	if during != nil {
		during()
	}
	return ctx.Err()
}

// take returns the waits recorded since the last call.
func (s *fakeSleep) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.delays
	s.delays = nil
	return d
}

// cheap hashes at bcrypt's lowest cost: the Verifier honours any cost, and
// tests need not pay for a real one.
var cheap = auth.Hasher{Cost: bcrypt.MinCost}

// quickHash hashes password cheaply.
func quickHash(t testing.TB, password string) []byte {
	t.Helper()
	hash, err := cheap.Hash(password)
	require.NoError(t, err)
	return hash
}

type fixture struct {
	hashes   *fakeHashes
	clock    *fakeClock
	sleep    *fakeSleep
	verifier *auth.Verifier
	compares *atomic.Int64
}

func newFixture(t testing.TB, opts ...auth.Option) *fixture {
	t.Helper()
	f := &fixture{
		hashes: &fakeHashes{hash: quickHash(t, password)},
		clock:  &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		sleep:  &fakeSleep{},
	}
	opts = append([]auth.Option{
		auth.WithHasher(cheap),
		auth.WithTTL(ttl),
		auth.WithClock(f.clock.Now),
		auth.WithSleep(f.sleep.Sleep),
	}, opts...)
	f.verifier = auth.NewVerifier(f.hashes, opts...)
	f.compares = auth.CountCompares(f.verifier)
	return f
}

func (f *fixture) verify(remoteAddr, user, password string) error {
	return f.verifier.Verify(context.Background(), remoteAddr, user, password)
}

func TestVerifyRightCredentials(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.verify(addr, auth.Username, password))
	require.Empty(t, f.sleep.take())
}

// TestVerifyFailuresLookAlike checks that a client cannot tell one failure
// from another, and that the password never reaches an error.
func TestVerifyFailuresLookAlike(t *testing.T) {
	wrongPassword := "wrong-" + password
	tooLong := password + strings.Repeat("x", auth.MaxPasswordLength) // right first 72 bytes
	cases := []struct {
		name     string
		user     string
		password string
		hashes   *fakeHashes
	}{
		{name: "wrong user", user: "admin", password: password},
		{name: "empty user", user: "", password: password},
		{name: "user differs in case", user: "Convox", password: password},
		{name: "wrong password", user: auth.Username, password: wrongPassword},
		{name: "empty password", user: auth.Username, password: ""},
		{name: "password past bcrypt's limit", user: auth.Username, password: tooLong},
		{name: "both wrong", user: "admin", password: wrongPassword},
		{name: "no stored hash", user: auth.Username, password: password, hashes: &fakeHashes{}},
		{name: "hash unreadable", user: auth.Username, password: password, hashes: &fakeHashes{err: errors.New("ssm: throttled")}},
	}
	var message, text string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hashes := tc.hashes
			if hashes == nil {
				hashes = &fakeHashes{hash: quickHash(t, password)}
			}
			v := auth.NewVerifier(hashes, auth.WithHasher(cheap), auth.WithSleep((&fakeSleep{}).Sleep))
			err := v.Verify(context.Background(), addr, tc.user, tc.password)
			require.Equal(t, rack.EUNAUTHORIZED, rack.ErrorCode(err), "%v", err)
			if message == "" {
				message = rack.ErrorMessage(err)
			}
			require.Equal(t, message, rack.ErrorMessage(err))
			if tc.hashes == nil {
				// Credential failures are identical even in the text the
				// server logs; a failed read keeps its cause there.
				if text == "" {
					text = err.Error()
				}
				require.Equal(t, text, err.Error())
			}
			require.NotContains(t, err.Error(), password)
		})
	}
}

func TestVerifyCachesSuccess(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.verify(addr, auth.Username, password))
	require.EqualValues(t, 1, f.compares.Load())

	f.clock.Advance(ttl - time.Second)
	require.NoError(t, f.verify(addr, auth.Username, password))
	require.EqualValues(t, 1, f.compares.Load(), "the second request ran bcrypt")
	require.Equal(t, 1, f.hashes.readCount(), "the second request read the hash")

	// A wrong password is never answered from the cache.
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	require.EqualValues(t, 2, f.compares.Load())

	// Nor is a wrong user.
	require.Error(t, f.verify(addr, "admin", password))

	// Past the TTL the hash is read and the password checked again.
	f.clock.Advance(2 * time.Second)
	require.NoError(t, f.verify(addr, auth.Username, password))
	require.Equal(t, 2, f.hashes.readCount())
	require.EqualValues(t, 3, f.compares.Load())
}

func TestVerifyReadsHashOncePerTTL(t *testing.T) {
	f := newFixture(t)
	for i := range 10 {
		_ = f.verify(fmt.Sprintf("192.0.2.%d:1", i), auth.Username, fmt.Sprintf("guess-%d", i))
		f.clock.Advance(ttl / 20)
	}
	require.Equal(t, 1, f.hashes.readCount())
	f.clock.Advance(ttl)
	require.NoError(t, f.verify(addr, auth.Username, password))
	require.Equal(t, 2, f.hashes.readCount())
}

func TestVerifyNewHashVoidsOldPassword(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.verify(addr, auth.Username, password))

	f.hashes.set(quickHash(t, "new-password"))
	// Until the TTL runs out the old hash stands: the price of not reading
	// it on every request.
	require.NoError(t, f.verify(addr, auth.Username, password))

	f.clock.Advance(ttl)
	require.Error(t, f.verify(addr, auth.Username, password))
	require.NoError(t, f.verify(addr, auth.Username, "new-password"))
}

func TestVerifyCachedDigestNeedsItsHash(t *testing.T) {
	// The digest outlives a hash read if the hash is read again before the
	// digest expires; a different hash must still void it.
	f := newFixture(t)
	require.NoError(t, f.verify(addr, auth.Username, password))
	f.clock.Advance(ttl / 2)
	f.hashes.set(quickHash(t, password)) // same password, new salt
	f.clock.Advance(ttl/2 + time.Second)
	before := f.compares.Load()
	require.NoError(t, f.verify(addr, auth.Username, password))
	require.Equal(t, before+1, f.compares.Load(), "a digest of the old hash was trusted")
}

func TestVerifyMissingHashIsReadAgain(t *testing.T) {
	// A rack whose hash is not stored yet accepts its password as soon as
	// it is, without waiting out a TTL.
	f := newFixture(t)
	f.hashes.set(nil)
	require.Equal(t, rack.EUNAUTHORIZED, rack.ErrorCode(f.verify(addr, auth.Username, password)))
	f.hashes.set(quickHash(t, password))
	require.NoError(t, f.verify("192.0.2.2:1", auth.Username, password))
}

func TestVerifyFailureDelays(t *testing.T) {
	f := newFixture(t)
	ms := time.Millisecond
	want := []time.Duration{0, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3000 * ms, 3000 * ms}
	for i, delay := range want {
		require.Error(t, f.verify(addr, auth.Username, "wrong"))
		if delay == 0 {
			require.Empty(t, f.sleep.take(), "attempt %d", i+1)
		} else {
			require.Equal(t, []time.Duration{delay}, f.sleep.take(), "attempt %d", i+1)
		}
	}

	// A success waits like any attempt from a failing address, then
	// clears it.
	require.NoError(t, f.verify(addr, auth.Username, password))
	require.Equal(t, []time.Duration{3000 * ms}, f.sleep.take())
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	require.Empty(t, f.sleep.take())
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	require.Equal(t, []time.Duration{100 * ms}, f.sleep.take())
}

func TestVerifyDelaysPerAddress(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		require.Error(t, f.verify("192.0.2.1:1000", auth.Username, "wrong"))
	}
	f.sleep.take()

	// Another port is the same client.
	require.Error(t, f.verify("192.0.2.1:2000", auth.Username, "wrong"))
	require.Equal(t, []time.Duration{400 * time.Millisecond}, f.sleep.take())

	// Another address is not.
	require.NoError(t, f.verify("192.0.2.2:1000", auth.Username, password))
	require.Error(t, f.verify("198.51.100.7:1000", auth.Username, "wrong"))
	require.Empty(t, f.sleep.take())

	// A success elsewhere does not clear the failing address.
	require.Error(t, f.verify("192.0.2.1:3000", auth.Username, "wrong"))
	require.Equal(t, []time.Duration{800 * time.Millisecond}, f.sleep.take())
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:443":                "192.0.2.1",
		"192.0.2.1":                    "192.0.2.1",
		"[::ffff:192.0.2.1]:80":        "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443":   "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":         "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]":            "2001:db8:1:3::/64",
		"[fe80::1%eth0]:22":            "fe80::/64",
		"not an address":               "not an address",
		"":                             "",
		"unix-socket-peer:not-a-port:": "unix-socket-peer:not-a-port:",
	} {
		require.Equal(t, want, auth.AddressKey(in), "addressKey(%q)", in)
	}
}

func TestVerifyFailuresExpire(t *testing.T) {
	window := 10 * time.Minute
	f := newFixture(t, auth.WithFailureMemory(100, window))
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	require.Len(t, f.sleep.take(), 1)

	f.clock.Advance(window)
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	require.Empty(t, f.sleep.take())
}

func TestVerifyFailureMemoryIsBounded(t *testing.T) {
	f := newFixture(t, auth.WithFailureMemory(3, time.Hour))
	for i := 1; i <= 5; i++ {
		require.Error(t, f.verify(fmt.Sprintf("192.0.2.%d:1", i), auth.Username, "wrong"))
		f.clock.Advance(time.Second)
	}
	require.Equal(t, 3, auth.TrackedAddresses(f.verifier))

	// The two that failed first were forgotten; the last three were not.
	require.Error(t, f.verify("192.0.2.1:1", auth.Username, "wrong"))
	require.Empty(t, f.sleep.take())
	require.Error(t, f.verify("192.0.2.5:1", auth.Username, "wrong"))
	require.Len(t, f.sleep.take(), 1)
	require.Equal(t, 3, auth.TrackedAddresses(f.verifier))
}

func TestVerifyParallelGuessesWaitLonger(t *testing.T) {
	f := newFixture(t)
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	// A second guess arrives while the first one waits.
	var inner error
	f.sleep.during = func() { inner = f.verify(addr, auth.Username, "wrong-too") }
	require.Error(t, f.verify(addr, auth.Username, "wrong"))
	require.Error(t, inner)
	require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, f.sleep.take())
}

func TestVerifyHonoursCancellation(t *testing.T) {
	// The real sleep, with a wait no test could sit through.
	hashes := &fakeHashes{hash: quickHash(t, password)}
	v := auth.NewVerifier(hashes, auth.WithHasher(cheap), auth.WithDelays(time.Hour, time.Hour))
	compares := auth.CountCompares(v)
	require.Error(t, v.Verify(context.Background(), addr, auth.Username, "wrong"))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	err := v.Verify(ctx, addr, auth.Username, password)
	require.Less(t, time.Since(start), time.Minute)
	require.Equal(t, rack.EUNAUTHORIZED, rack.ErrorCode(err))
	require.ErrorIs(t, err, context.Canceled)
	require.EqualValues(t, 1, compares.Load(), "checked a password after giving up")
}

func TestVerifyConcurrent(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 100 {
		wg.Go(func() {
			remote := fmt.Sprintf("192.0.2.%d:1", i%7)
			if err := f.verify(remote, auth.Username, password); err != nil {
				errs <- fmt.Errorf("right password from %s: %w", remote, err)
			}
			if err := f.verify(remote, auth.Username, "wrong"); !rack.IsCode(err, rack.EUNAUTHORIZED) {
				errs <- fmt.Errorf("wrong password from %s: %v", remote, err)
			}
			f.clock.Advance(time.Millisecond)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, f.hashes.readCount(), "concurrent requests each read the hash")
}

// BenchmarkVerify compares a check that runs bcrypt at auth.Cost with one
// answered from the cache.
func BenchmarkVerify(b *testing.B) {
	hash, err := auth.Hasher{}.Hash(password)
	require.NoError(b, err)
	hashes := &fakeHashes{hash: hash}
	ctx := context.Background()

	b.Run("cold", func(b *testing.B) {
		v := auth.NewVerifier(hashes, auth.WithTTL(0)) // nothing is ever fresh
		for b.Loop() {
			if err := v.Verify(ctx, addr, auth.Username, password); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		v := auth.NewVerifier(hashes)
		require.NoError(b, v.Verify(ctx, addr, auth.Username, password))
		for b.Loop() {
			if err := v.Verify(ctx, addr, auth.Username, password); err != nil {
				b.Fatal(err)
			}
		}
	})
}
