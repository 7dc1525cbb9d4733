package memstore

import (
	"context"
	"maps"
	"slices"

	"github.com/rackhq/rack/pkg/rack"
)

// CreateBuild records a new build of an existing app, at version 1.
func (s *Store) CreateBuild(_ context.Context, b rack.Build) (rack.Build, error) {
	if err := rack.ValidateChild("build", rack.BuildIDPrefix, b.App, b.ID); err != nil {
		return rack.Build{}, err
	}
	if !b.Status.Valid() {
		return rack.Build{}, rack.Errorf(rack.EINVALID, "build %s: unknown status %q", b.ID, b.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkParent(b.App); err != nil {
		return rack.Build{}, err
	}
	if _, ok := s.builds[b.App][b.ID]; ok {
		return rack.Build{}, rack.Errorf(rack.ECONFLICT, "build %s of app %s already exists", b.ID, b.App)
	}
	now := s.now()
	b.Version, b.Created, b.Updated = 1, now, now
	if s.builds[b.App] == nil {
		s.builds[b.App] = map[string]rack.Build{}
	}
	s.builds[b.App][b.ID] = b
	return b, nil
}

// GetBuild reads a build.
func (s *Store) GetBuild(_ context.Context, app, id string) (rack.Build, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.builds[app][id]
	if !ok {
		return rack.Build{}, rack.NotFound("build", id)
	}
	return b, nil
}

// ListBuilds lists an app's builds newest first.
func (s *Store) ListBuilds(_ context.Context, app string, page rack.Page) ([]rack.Build, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return paginate(slices.Collect(maps.Values(s.builds[app])), "BUILDS#"+app, page,
		func(b rack.Build) string { return sortKey(b.Created, b.ID) }, true)
}

// UpdateBuild writes a build if the stored one is at b.Version with status from.
func (s *Store) UpdateBuild(_ context.Context, b rack.Build, from rack.BuildStatus) (rack.Build, error) {
	if !from.CanMoveTo(b.Status) {
		return rack.Build{}, rack.Errorf(rack.EINVALID, "build %s cannot go from %s to %s", b.ID, from, b.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.builds[b.App][b.ID]
	if !ok {
		return rack.Build{}, rack.NotFound("build", b.ID)
	}
	if stored.Version != b.Version || stored.Status != from {
		return rack.Build{}, stale("build " + b.ID)
	}
	b.Created, b.Version, b.Updated = stored.Created, stored.Version+1, s.now()
	s.builds[b.App][b.ID] = b
	return b, nil
}

// DeleteBuild removes a build; one that is not there is not an error.
func (s *Store) DeleteBuild(_ context.Context, app, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.builds[app], id)
	return nil
}

// CreateRelease records a new release of an existing app, at version 1,
// as its latest, if its parent is the app's latest.
func (s *Store) CreateRelease(_ context.Context, r rack.Release) (rack.Release, error) {
	if err := rack.ValidateChild("release", rack.ReleaseIDPrefix, r.App, r.ID); err != nil {
		return rack.Release{}, err
	}
	if !r.Status.Valid() {
		return rack.Release{}, rack.Errorf(rack.EINVALID, "release %s: unknown status %q", r.ID, r.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkParent(r.App); err != nil {
		return rack.Release{}, err
	}
	if _, ok := s.releases[r.App][r.ID]; ok {
		return rack.Release{}, rack.Errorf(rack.ECONFLICT, "release %s of app %s already exists", r.ID, r.App)
	}
	a := s.apps[r.App]
	if a.Latest != r.Parent {
		return rack.Release{}, rack.StaleParent(r.App, r.Parent, a.Latest)
	}
	a.Latest = r.ID
	s.apps[r.App] = a
	now := s.now()
	r.Version, r.Created, r.Updated = 1, now, now
	r.Env = slices.Clone(r.Env)
	if s.releases[r.App] == nil {
		s.releases[r.App] = map[string]rack.Release{}
	}
	s.releases[r.App][r.ID] = r
	return r, nil
}

// GetRelease reads a release.
func (s *Store) GetRelease(_ context.Context, app, id string) (rack.Release, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.releases[app][id]
	if !ok {
		return rack.Release{}, rack.NotFound("release", id)
	}
	r.Env = slices.Clone(r.Env)
	return r, nil
}

// ListReleases lists an app's releases newest first.
func (s *Store) ListReleases(_ context.Context, app string, page rack.Page) ([]rack.Release, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return paginate(slices.Collect(maps.Values(s.releases[app])), "RELEASES#"+app, page,
		func(r rack.Release) string { return sortKey(r.Created, r.ID) }, true)
}

// UpdateRelease writes a release's status and description if the stored one
// is at r.Version with status from; the rest of a release never changes.
func (s *Store) UpdateRelease(_ context.Context, r rack.Release, from rack.ReleaseStatus) (rack.Release, error) {
	if !from.CanMoveTo(r.Status) {
		return rack.Release{}, rack.Errorf(rack.EINVALID, "release %s cannot go from %s to %s", r.ID, from, r.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.releases[r.App][r.ID]
	if !ok {
		return rack.Release{}, rack.NotFound("release", r.ID)
	}
	if stored.Version != r.Version || stored.Status != from {
		return rack.Release{}, stale("release " + r.ID)
	}
	stored.Status, stored.Description, stored.Token, stored.Reason = r.Status, r.Description, r.Token, r.Reason
	stored.Version++
	stored.Updated = s.now()
	s.releases[r.App][r.ID] = stored
	stored.Env = slices.Clone(stored.Env)
	return stored, nil
}
