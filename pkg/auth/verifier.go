package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/rack"
)

// Defaults of a Verifier; the options change them.
const (
	DefaultTTL           = 5 * time.Minute
	DefaultBaseDelay     = 100 * time.Millisecond
	DefaultMaxDelay      = 3 * time.Second
	DefaultFailureWindow = 15 * time.Minute
	DefaultMaxAddresses  = 10000
)

// unauthorizedMessage is all a client learns of a failed check, whatever
// failed: the user, the password, or the stored hash.
const unauthorizedMessage = "invalid credentials"

// Sleep waits for d and returns nil, or returns ctx's error if ctx is done first.
type Sleep func(ctx context.Context, d time.Duration) error

// Verifier checks Basic auth credentials against the stored password hash.
// It is safe for concurrent use.
//
// bcrypt costs ~100 ms, too much to pay on every API call, so after a
// success the Verifier keeps an HMAC of the password under a key that exists
// only in this process, with the hash it matched, for a TTL: a later request
// with the same password compares digests instead. The hash is re-read from
// its source at most once per TTL, and a new hash voids the cached digest.
//
// An address that keeps failing waits longer and longer before each answer.
type Verifier struct {
	hashes    HashSource
	now       rack.Clock
	sleep     Sleep
	ttl       time.Duration
	baseDelay time.Duration
	maxDelay  time.Duration
	key       []byte // HMAC key of cached digests, never leaves the process
	failures  *failures

	// compare is bcrypt.CompareHashAndPassword; tests count its calls.
	compare func(hash, password []byte) error
	// placeholder is compared against when no hash can be read.
	placeholder func() []byte

	// refreshing holds one token while the hash is being read, so that
	// concurrent requests after the TTL make one call to the source, not
	// one each.
	refreshing chan struct{}

	mu           sync.Mutex
	hash         []byte    // the last hash read
	hashRead     time.Time // when it was read
	verified     []byte    // HMAC of the last password that matched
	verifiedHash []byte    // the hash it matched
	verifiedAt   time.Time // when it matched
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithTTL sets how long a read hash and a verified password are trusted
// before they are checked again; zero turns both caches off.
func WithTTL(ttl time.Duration) Option {
	return func(v *Verifier) { v.ttl = ttl }
}

// WithClock sets the clock that ages the cache and the failure counts.
func WithClock(now rack.Clock) Option {
	return func(v *Verifier) { v.now = now }
}

// WithSleep sets how the Verifier waits before answering an address with
// recent failures.
func WithSleep(sleep Sleep) Option {
	return func(v *Verifier) { v.sleep = sleep }
}

// WithDelays sets the wait after the first failure and the most an address
// can be made to wait; each further failure doubles the wait up to maxDelay.
func WithDelays(base, maxDelay time.Duration) Option {
	return func(v *Verifier) { v.baseDelay, v.maxDelay = base, maxDelay }
}

// WithFailureMemory sets how many addresses the Verifier remembers failures
// of, and for how long after their last failure. Past the limit, the
// address that failed longest ago is forgotten first.
func WithFailureMemory(addresses int, window time.Duration) Option {
	return func(v *Verifier) { v.failures = newFailures(addresses, window) }
}

// WithHasher sets how the placeholder compared against a missing hash is
// made (default: at Cost, as new hashes are).
func WithHasher(h Hasher) Option {
	return func(v *Verifier) { v.placeholder = newPlaceholder(h) }
}

// NewVerifier returns a Verifier of the hash hashes gives.
func NewVerifier(hashes HashSource, opts ...Option) *Verifier {
	key := make([]byte, sha256.Size)
	// crypto/rand.Read never returns an error: it crashes the program
	// instead if the system cannot provide randomness.
	_, _ = rand.Read(key)
	v := &Verifier{
		hashes:      hashes,
		now:         rack.SystemClock,
		sleep:       sleepContext,
		ttl:         DefaultTTL,
		baseDelay:   DefaultBaseDelay,
		maxDelay:    DefaultMaxDelay,
		key:         key,
		failures:    newFailures(DefaultMaxAddresses, DefaultFailureWindow),
		compare:     bcrypt.CompareHashAndPassword,
		refreshing:  make(chan struct{}, 1),
		placeholder: newPlaceholder(Hasher{}),
	}
	for _, opt := range opts {
		opt(v)
	}
	return v
}

// Verify returns nil when user and password are the rack's credentials, and
// otherwise a rack.EUNAUTHORIZED error whose message is the same for every
// failure. remoteAddr is the client's address, with or without a port, as
// the server saw it; failures are counted per address.
//
// While an address has recent failures, every attempt from it waits before
// it is checked, even one that will succeed: waiting only after a failure
// would let a client learn the verdict early by giving up on any request
// slower than a success. The attempt counts as one more failure until it
// succeeds, so guesses sent in parallel wait longer each, not the same.
func (v *Verifier) Verify(ctx context.Context, remoteAddr, user, password string) error {
	addr := addressKey(remoteAddr)
	prior := v.failures.attempt(addr, v.now())
	if prior > 0 {
		if err := v.sleep(ctx, v.delay(prior)); err != nil {
			return unauthorized(err)
		}
	}
	if err := v.check(ctx, user, password); err != nil {
		v.failures.failed(addr, v.now(), prior > 0)
		return err
	}
	v.failures.reset(addr)
	return nil
}

// check compares the credentials, taking as long for a wrong user or a
// missing hash as for a wrong password, so that timing tells no more than
// the answer does.
func (v *Verifier) check(ctx context.Context, user, password string) error {
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(Username)) == 1
	hash, err := v.currentHash(ctx)
	if err != nil {
		_ = v.compare(v.placeholder(), []byte(password))
		return unauthorized(err)
	}
	passwordOK := v.passwordMatches(hash, password)
	if !userOK || !passwordOK {
		return unauthorized(nil)
	}
	return nil
}

// currentHash returns the hash read within the TTL, or reads it again.
func (v *Verifier) currentHash(ctx context.Context) ([]byte, error) {
	if hash, ok := v.freshHash(); ok {
		return hash, nil
	}
	select {
	case v.refreshing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-v.refreshing }()
	if hash, ok := v.freshHash(); ok {
		return hash, nil // another request read it while this one waited
	}
	hash, err := v.hashes.PasswordHash(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.hash, v.hashRead = hash, v.now()
	v.mu.Unlock()
	return hash, nil
}

func (v *Verifier) freshHash() ([]byte, bool) {
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.hash == nil || now.Sub(v.hashRead) >= v.ttl {
		return nil, false
	}
	return v.hash, true
}

// passwordMatches reports whether password is the one hash was made from,
// answering from the cached digest when it can.
func (v *Verifier) passwordMatches(hash []byte, password string) bool {
	// bcrypt ignores bytes past the 72nd, and Hash refuses such passwords,
	// so a longer one cannot be right.
	if password == "" || len(password) > MaxPasswordLength {
		return false
	}
	mac := hmac.New(sha256.New, v.key)
	mac.Write([]byte(password))
	digest := mac.Sum(nil)

	now := v.now()
	v.mu.Lock()
	cached := v.verified != nil && now.Sub(v.verifiedAt) < v.ttl &&
		bytes.Equal(v.verifiedHash, hash) && hmac.Equal(v.verified, digest)
	v.mu.Unlock()
	if cached {
		return true
	}
	if v.compare(hash, []byte(password)) != nil {
		return false
	}
	v.mu.Lock()
	v.verified, v.verifiedHash, v.verifiedAt = digest, hash, now
	v.mu.Unlock()
	return true
}

// delay is the wait before an attempt from an address with prior recent
// failures: the base delay, doubled for each failure after the first, up to
// the maximum.
func (v *Verifier) delay(prior int) time.Duration {
	d := v.baseDelay
	for i := 1; i < prior && d < v.maxDelay; i++ {
		d *= 2
	}
	return min(d, v.maxDelay)
}

// unauthorized is the answer to every failed check. cause, if any, is kept
// in the chain for the server's logs; it never changes the message, which is
// all the HTTP layer shows (rack.ErrorMessage).
func unauthorized(cause error) error {
	err := rack.Errorf(rack.EUNAUTHORIZED, unauthorizedMessage)
	if cause == nil {
		return err
	}
	return fmt.Errorf("%w: %w", err, cause)
}

// newPlaceholder returns the hash compared against when there is no hash
// to compare against, so that a missing hash costs what a wrong password
// does. It is made on first use: a process that always finds its hash
// never pays for it. Should hashing fail, the nil result only makes that
// comparison quick.
func newPlaceholder(h Hasher) func() []byte {
	return sync.OnceValue(func() []byte {
		hash, _ := h.Hash(rand.Text())
		return hash
	})
}

// sleepContext is the real Sleep.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
