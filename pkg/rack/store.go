package rack

import (
	"context"
	"time"
)

// Page asks a list for at most Limit items after Cursor. A zero Limit means
// DefaultPageLimit; Cursor is the Next of the previous page, "" for the first.
type Page struct {
	Limit  int
	Cursor string
}

const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// PageLimit returns the limit p asks for, or an EINVALID error.
func (p Page) PageLimit() (int, error) {
	switch {
	case p.Limit == 0:
		return DefaultPageLimit, nil
	case p.Limit < 0 || p.Limit > MaxPageLimit:
		return 0, Errorf(EINVALID, "page limit must be between 1 and %d", MaxPageLimit)
	}
	return p.Limit, nil
}

// Lists return a page of items and the cursor of the next page, "" after the
// last. A page may hold fewer than Limit items and still have a next one:
// callers page until the cursor is empty.

// AppStore keeps apps. Deleting an app deletes everything kept under it.
type AppStore interface {
	// CreateApp fails with ECONFLICT when the app exists.
	CreateApp(ctx context.Context, app App) (App, error)
	GetApp(ctx context.Context, name string) (App, error)
	// ListApps lists apps by name.
	ListApps(ctx context.Context, page Page) ([]App, string, error)
	// UpdateApp writes app if the stored one still has app.Version and
	// status from; it returns the app as written, with a new Version.
	UpdateApp(ctx context.Context, app App, from AppStatus) (App, error)
	DeleteApp(ctx context.Context, name string) error
}

// BuildStore keeps builds. A build is created only under an app that exists
// and is not being deleted.
type BuildStore interface {
	CreateBuild(ctx context.Context, build Build) (Build, error)
	GetBuild(ctx context.Context, app, id string) (Build, error)
	// ListBuilds lists an app's builds newest first.
	ListBuilds(ctx context.Context, app string, page Page) ([]Build, string, error)
	// UpdateBuild writes build if the stored one still has build.Version
	// and status from.
	UpdateBuild(ctx context.Context, build Build, from BuildStatus) (Build, error)
	// DeleteBuild removes a build; removing one that is not there is not
	// an error.
	DeleteBuild(ctx context.Context, app, id string) error
}

// ReleaseStore keeps releases, with the same rules as BuildStore.
type ReleaseStore interface {
	// CreateRelease records release as its app's latest. It fails with
	// ECONFLICT unless release.Parent is the app's latest release ("" when
	// it has none): of two releases made from the same parent, one is
	// recorded and the other is told to read the app again.
	CreateRelease(ctx context.Context, release Release) (Release, error)
	GetRelease(ctx context.Context, app, id string) (Release, error)
	// ListReleases lists an app's releases newest first.
	ListReleases(ctx context.Context, app string, page Page) ([]Release, string, error)
	UpdateRelease(ctx context.Context, release Release, from ReleaseStatus) (Release, error)
}

// Setting is a named value of the rack: the password hash, the migrations
// that ran, and the like.
type Setting struct {
	Name    string
	Value   []byte
	Version int64
	Updated time.Time
}

// SettingStore keeps rack settings.
type SettingStore interface {
	GetSetting(ctx context.Context, name string) (Setting, error)
	// PutSetting creates the setting when s.Version is 0 (ECONFLICT if it
	// exists) and otherwise replaces it if the stored one has s.Version.
	PutSetting(ctx context.Context, s Setting) (Setting, error)
}

// Lease is a time-limited exclusive claim on something of an app, such as
// its promotion.
type Lease struct {
	App     string
	Name    string
	Holder  string
	Expires time.Time
}

// LeaseStore hands out leases; at most one holder has a live lease at a time.
type LeaseStore interface {
	// ClaimLease gives holder the lease for ttl. It succeeds when the lease
	// is free, expired, or already holder's (a renewal), and fails with
	// ECONFLICT while another holder's lease is live.
	ClaimLease(ctx context.Context, app, name, holder string, ttl time.Duration) (Lease, error)
	// ReleaseLease frees holder's lease. Releasing a free or expired lease
	// succeeds; releasing another holder's live lease fails with ECONFLICT.
	ReleaseLease(ctx context.Context, app, name, holder string) error
}

// IdempotencyStatus tells whether the work behind an idempotency key is
// under way or done.
type IdempotencyStatus string

const (
	IdempotencyPending IdempotencyStatus = "pending"
	IdempotencyDone    IdempotencyStatus = "done"
)

// Idempotency records that the work behind Key was started, and its result
// once done, until Expires.
type Idempotency struct {
	Key     string
	Status  IdempotencyStatus
	Result  []byte
	Created time.Time
	Expires time.Time
}

// IdempotencyStore makes at-least-once deliveries do their work once.
type IdempotencyStore interface {
	// BeginIdempotent records key as pending until ttl passes. It returns
	// the record and true when the caller should do the work, or the live
	// record of an earlier caller and false.
	BeginIdempotent(ctx context.Context, key string, ttl time.Duration) (Idempotency, bool, error)
	// CompleteIdempotent stores the result of pending work.
	CompleteIdempotent(ctx context.Context, key string, result []byte) error
	// AbandonIdempotent forgets pending work that failed, so a retry can
	// begin it again.
	AbandonIdempotent(ctx context.Context, key string) error
}

// Store is everything the rack keeps.
type Store interface {
	AppStore
	BuildStore
	ReleaseStore
	SettingStore
	LeaseStore
	IdempotencyStore
}
