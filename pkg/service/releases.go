package service

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// ReleaseStore is what Releases keeps and reads.
type ReleaseStore interface {
	GetApp(ctx context.Context, name string) (rack.App, error)
	GetBuild(ctx context.Context, app, id string) (rack.Build, error)
	CreateRelease(ctx context.Context, release rack.Release) (rack.Release, error)
	GetRelease(ctx context.Context, app, id string) (rack.Release, error)
	ListReleases(ctx context.Context, app string, page rack.Page) ([]rack.Release, string, error)
}

// Releases makes and reads apps' releases, and keeps their environments
// sealed.
type Releases struct {
	*Core
	store  ReleaseStore
	sealer Sealer
}

// NewReleases returns the releases use cases.
func NewReleases(core *Core, store ReleaseStore, sealer Sealer) *Releases {
	return &Releases{Core: core, store: store, sealer: sealer}
}

// ReleaseOptions says what a new release changes from the app's latest
// one. At least one of Build and Env is set.
type ReleaseOptions struct {
	Build       *string           // a complete build of the app
	Env         *rack.Environment // the whole new environment
	Description string            // defaults to a summary of the change
	// Parent, when set, is the release the change was made from (what
	// the caller read; "" for none): if the app has a newer one, the
	// change is refused with ECONFLICT, for the caller to read again and
	// re-apply. Unset, the change applies to whatever is latest.
	Parent *string
}

// releaseAttempts bounds the tries of a change made from whatever is
// latest, which another change may overtake between the read and the
// write.
const releaseAttempts = 10

// ListReleases lists an app's releases newest first.
func (s *Releases) ListReleases(ctx context.Context, app string, page rack.Page) ([]rack.Release, string, error) {
	if _, err := s.store.GetApp(ctx, app); err != nil {
		return nil, "", err
	}
	return s.store.ListReleases(ctx, app, page)
}

// GetRelease reads one release of an app, with its environment opened.
func (s *Releases) GetRelease(ctx context.Context, app, id string) (rack.Release, rack.Environment, error) {
	if _, err := s.store.GetApp(ctx, app); err != nil {
		return rack.Release{}, nil, err
	}
	r, err := s.store.GetRelease(ctx, app, id)
	if err != nil {
		return rack.Release{}, nil, err
	}
	env, err := s.openEnv(ctx, r)
	if err != nil {
		return rack.Release{}, nil, fmt.Errorf("release %s: %w", id, err)
	}
	return r, env, nil
}

// Environment returns the environment of an app's latest release, which
// is what the next release starts from (empty before the first).
func (s *Releases) Environment(ctx context.Context, app string) (rack.Environment, error) {
	env, _, err := s.LatestEnvironment(ctx, app)
	return env, err
}

// LatestEnvironment returns the environment of an app's latest release,
// and that release's id ("" before the first): the parent of a release
// made from this environment.
func (s *Releases) LatestEnvironment(ctx context.Context, app string) (rack.Environment, string, error) {
	a, err := s.store.GetApp(ctx, app)
	if err != nil {
		return nil, "", err
	}
	latest, err := s.latestOf(ctx, a)
	if err != nil {
		return nil, "", err
	}
	env, err := s.openEnv(ctx, latest)
	return env, a.Latest, err
}

// CreateRelease makes a new release of an app from its latest release with
// the build and/or environment replaced. As in Convox, every change of
// environment is a new release; promoting it is a separate step. The
// release records its parent, and is recorded only if that is still the
// app's latest: no concurrent change is lost.
func (s *Releases) CreateRelease(ctx context.Context, app string, opts ReleaseOptions) (rack.Release, error) {
	if opts.Build == nil && opts.Env == nil {
		return rack.Release{}, rack.Errorf(rack.EINVALID, "a new release needs a build or an environment")
	}
	if opts.Env != nil {
		if err := opts.Env.Validate(); err != nil {
			return rack.Release{}, err
		}
	}
	for attempt := 1; ; attempt++ {
		r, err := s.createRelease(ctx, app, opts)
		if err == nil || opts.Parent != nil || !rack.IsCode(err, rack.ECONFLICT) || attempt == releaseAttempts {
			return r, err
		}
	}
}

func (s *Releases) createRelease(ctx context.Context, app string, opts ReleaseOptions) (rack.Release, error) {
	a, err := s.store.GetApp(ctx, app)
	if err != nil {
		return rack.Release{}, err
	}
	if a.Status == rack.AppDeleting {
		return rack.Release{}, rack.Errorf(rack.ECONFLICT, "app %s is being deleted", app)
	}
	if opts.Parent != nil && *opts.Parent != a.Latest {
		return rack.Release{}, rack.StaleParent(app, *opts.Parent, a.Latest)
	}
	latest, err := s.latestOf(ctx, a)
	if err != nil {
		return rack.Release{}, err
	}
	id, err := s.newID(rack.ReleaseIDPrefix)
	if err != nil {
		return rack.Release{}, err
	}
	r := rack.Release{
		ID:          id,
		App:         app,
		Parent:      a.Latest,
		Build:       latest.Build,
		Manifest:    latest.Manifest,
		Env:         latest.Env, // still sealed: unchanged, it needs no new seal
		Status:      rack.ReleaseCreated,
		Description: opts.Description,
	}
	if opts.Build != nil {
		b, err := s.store.GetBuild(ctx, app, *opts.Build)
		if err != nil {
			return rack.Release{}, err
		}
		if b.Status != rack.BuildComplete {
			return rack.Release{}, rack.Errorf(rack.EINVALID, "build %s is %s, not complete", b.ID, b.Status)
		}
		r.Build, r.Manifest = b.ID, b.Manifest
		if r.Description == "" {
			r.Description = "build " + b.ID
		}
	}
	if opts.Env != nil {
		old, err := s.openEnv(ctx, latest)
		if err != nil {
			return rack.Release{}, err
		}
		if r.Env, err = s.sealEnv(ctx, *opts.Env); err != nil {
			return rack.Release{}, err
		}
		if r.Description == "" {
			r.Description = rack.DescribeChange(old, *opts.Env)
		}
	}
	created, err := s.store.CreateRelease(ctx, r)
	if err != nil {
		return rack.Release{}, err
	}
	s.publish(ctx, events.ActionReleaseCreate, events.StatusSuccess, map[string]string{"app": app, "id": created.ID})
	return created, nil
}

// BuildReleaseID is the id of the release a build makes: the build's own
// letters, so that making it twice finds the first.
func BuildReleaseID(build string) string {
	return rack.ReleaseIDPrefix + strings.TrimPrefix(build, rack.BuildIDPrefix)
}

// ReleaseBuild makes the release a successful build leads to: the build
// and its manifest, with the environment of the app's latest release (its
// sealed bytes as they are: unchanged, they need no new seal). Its id is
// BuildReleaseID: a build event replayed, or the sweep and an event at
// once, find the release made already (created is false) and make no
// second one.
func (s *Releases) ReleaseBuild(ctx context.Context, b rack.Build) (r rack.Release, created bool, err error) {
	id := BuildReleaseID(b.ID)
	for attempt := 1; ; attempt++ {
		if r, err := s.store.GetRelease(ctx, b.App, id); err == nil || !rack.IsCode(err, rack.ENOTFOUND) {
			return r, false, err
		}
		a, err := s.store.GetApp(ctx, b.App)
		if err != nil {
			return rack.Release{}, false, err
		}
		latest, err := s.latestOf(ctx, a)
		if err != nil {
			return rack.Release{}, false, err
		}
		r = rack.Release{
			ID:          id,
			App:         b.App,
			Parent:      a.Latest,
			Build:       b.ID,
			Manifest:    b.Manifest,
			Env:         latest.Env,
			Status:      rack.ReleaseCreated,
			Description: cmp.Or(b.Description, "build "+b.ID),
		}
		r, err = s.store.CreateRelease(ctx, r)
		if err == nil {
			s.publish(ctx, events.ActionReleaseCreate, events.StatusSuccess, map[string]string{"app": b.App, "id": r.ID})
			return r, true, nil
		}
		// Made meanwhile by another delivery of the same news, or the app
		// changed since it was read: look again.
		if !rack.IsCode(err, rack.ECONFLICT) || attempt == releaseAttempts {
			return rack.Release{}, false, err
		}
	}
}

// latestOf is app's latest release: the one a new release is made from
// (none before the first). An app recorded before apps kept their latest
// release has releases but no latest: its newest is the one. Its next
// release is still made from parent "" (what the store holds), which the
// store accepts once, and then the app has a latest.
func (s *Releases) latestOf(ctx context.Context, a rack.App) (rack.Release, error) {
	if a.Latest != "" {
		return s.store.GetRelease(ctx, a.Name, a.Latest)
	}
	rs, _, err := s.store.ListReleases(ctx, a.Name, rack.Page{Limit: 1})
	if err != nil || len(rs) == 0 {
		return rack.Release{}, err
	}
	return rs[0], nil
}

func (s *Releases) sealEnv(ctx context.Context, env rack.Environment) ([]byte, error) {
	if env == nil {
		env = rack.Environment{}
	}
	plain, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("seal environment: %w", err)
	}
	sealed, err := s.sealer.Seal(ctx, plain)
	if err != nil {
		return nil, fmt.Errorf("seal environment: %w", err)
	}
	return sealed, nil
}

func (s *Releases) openEnv(ctx context.Context, r rack.Release) (rack.Environment, error) {
	return openEnv(ctx, s.sealer, r)
}

// openEnv opens r's sealed environment (empty when it has none).
func openEnv(ctx context.Context, sealer Sealer, r rack.Release) (rack.Environment, error) {
	env := rack.Environment{}
	if len(r.Env) == 0 {
		return env, nil
	}
	plain, err := sealer.Open(ctx, r.Env)
	if err != nil {
		return nil, fmt.Errorf("open environment: %w", err)
	}
	if err := json.Unmarshal(plain, &env); err != nil {
		return nil, fmt.Errorf("open environment: decode: %w", err)
	}
	return env, nil
}
