// Package memstore is an in-memory rack.Store for tests of the layers above
// the store. It keeps the same rules as the DynamoDB store (one contract
// suite runs against both), behind one mutex.
package memstore

import (
	"context"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rackhq/rack/pkg/rack"
)

// Store is an in-memory rack.Store.
type Store struct {
	now rack.Clock

	mu          sync.Mutex
	apps        map[string]rack.App
	builds      map[string]map[string]rack.Build   // app → id → build
	releases    map[string]map[string]rack.Release // app → id → release
	settings    map[string]rack.Setting
	leases      map[[2]string]rack.Lease // {app, name}
	idempotency map[string]rack.Idempotency
}

var _ rack.Store = (*Store)(nil)

// New returns an empty store. A nil clock means the system's.
func New(now rack.Clock) *Store {
	if now == nil {
		now = rack.SystemClock
	}
	return &Store{
		now:         now,
		apps:        map[string]rack.App{},
		builds:      map[string]map[string]rack.Build{},
		releases:    map[string]map[string]rack.Release{},
		settings:    map[string]rack.Setting{},
		leases:      map[[2]string]rack.Lease{},
		idempotency: map[string]rack.Idempotency{},
	}
}

// CreateApp records a new app at version 1.
func (s *Store) CreateApp(_ context.Context, app rack.App) (rack.App, error) {
	if err := rack.ValidateAppName(app.Name); err != nil {
		return rack.App{}, err
	}
	if !app.Status.Valid() {
		return rack.App{}, rack.Errorf(rack.EINVALID, "app %s: unknown status %q", app.Name, app.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[app.Name]; ok {
		return rack.App{}, rack.Errorf(rack.ECONFLICT, "app %s already exists", app.Name)
	}
	now := s.now()
	app.Version, app.Created, app.Updated = 1, now, now
	app.Parameters = maps.Clone(app.Parameters)
	s.apps[app.Name] = app
	return app, nil
}

// GetApp reads an app.
func (s *Store) GetApp(_ context.Context, name string) (rack.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, ok := s.apps[name]
	if !ok {
		return rack.App{}, rack.NotFound("app", name)
	}
	app.Parameters = maps.Clone(app.Parameters)
	return app, nil
}

// ListApps lists apps by name.
func (s *Store) ListApps(_ context.Context, page rack.Page) ([]rack.App, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return paginate(slices.Collect(maps.Values(s.apps)), "APPS", page,
		func(a rack.App) string { return a.Name }, false)
}

// UpdateApp writes an app if the stored one is at app.Version with status from.
func (s *Store) UpdateApp(_ context.Context, app rack.App, from rack.AppStatus) (rack.App, error) {
	if !from.CanMoveTo(app.Status) {
		return rack.App{}, rack.Errorf(rack.EINVALID, "app %s cannot go from %s to %s", app.Name, from, app.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.apps[app.Name]
	if !ok {
		return rack.App{}, rack.NotFound("app", app.Name)
	}
	if stored.Version != app.Version || stored.Status != from {
		return rack.App{}, stale("app " + app.Name)
	}
	stored.Status, stored.Release, stored.Parameters = app.Status, app.Release, maps.Clone(app.Parameters)
	stored.Locked, stored.Promotion, stored.Router = app.Locked, app.Promotion, app.Router
	stored.Scale = maps.Clone(app.Scale)
	if !stored.Promotion.Active() {
		stored.Promotion = rack.Promotion{}
	}
	stored.Version++
	stored.Updated = s.now()
	s.apps[app.Name] = stored
	return stored, nil
}

// DeleteApp deletes an app and everything kept under it.
func (s *Store) DeleteApp(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[name]; !ok {
		return rack.NotFound("app", name)
	}
	delete(s.apps, name)
	delete(s.builds, name)
	delete(s.releases, name)
	for k := range s.leases {
		if k[0] == name {
			delete(s.leases, k)
		}
	}
	return nil
}

func stale(what string) error {
	return rack.Errorf(rack.ECONFLICT, "%s was changed by someone else; read it again and retry", what)
}

// checkParent returns why a child cannot be created under app, if it cannot.
func (s *Store) checkParent(app string) error {
	a, ok := s.apps[app]
	switch {
	case !ok:
		return rack.NotFound("app", app)
	case a.Status == rack.AppDeleting:
		return rack.Errorf(rack.ECONFLICT, "app %s is being deleted", app)
	}
	return nil
}

// sortKey orders children by creation time, then id, as the DynamoDB list
// index does.
func sortKey(created time.Time, id string) string {
	return created.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + id
}

// paginate sorts items by key (descending when newestFirst) and returns the
// page after the cursor. A cursor names the list it came from and the key
// of the last item returned.
func paginate[T any](items []T, list string, page rack.Page, keyOf func(T) string, newestFirst bool) ([]T, string, error) {
	limit, err := page.PageLimit()
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(items, func(a, b T) int {
		c := strings.Compare(keyOf(a), keyOf(b))
		if newestFirst {
			return -c
		}
		return c
	})
	start := 0
	if page.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(page.Cursor)
		after, ok := strings.CutPrefix(string(raw), list+"\x00")
		if err != nil || !ok || after == "" {
			return nil, "", rack.Errorf(rack.EINVALID, "invalid page cursor")
		}
		start = len(items)
		for i, it := range items {
			k := keyOf(it)
			if (newestFirst && k < after) || (!newestFirst && k > after) {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + keyOf(items[end-1])))
	}
	return items[start:end], next, nil
}

// ForgetLatest removes app's latest release, as an app recorded before
// apps kept one had none: for tests of such data.
func (s *Store) ForgetLatest(app string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[app]
	a.Latest = ""
	s.apps[app] = a
}
