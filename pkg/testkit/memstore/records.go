package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/rackhq/rack/pkg/rack"
)

// GetSetting reads a rack setting.
func (s *Store) GetSetting(_ context.Context, name string) (rack.Setting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.settings[name]
	if !ok {
		return rack.Setting{}, rack.Errorf(rack.ENOTFOUND, "setting %s not found", name)
	}
	st.Value = slices.Clone(st.Value)
	return st, nil
}

// PutSetting creates a setting (Version 0) or replaces the one at Version.
func (s *Store) PutSetting(_ context.Context, st rack.Setting) (rack.Setting, error) {
	if st.Name == "" {
		return rack.Setting{}, rack.Errorf(rack.EINVALID, "setting name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.settings[st.Name]
	switch {
	case st.Version == 0 && ok:
		return rack.Setting{}, rack.Errorf(rack.ECONFLICT, "setting %s already exists", st.Name)
	case st.Version != 0 && !ok:
		return rack.Setting{}, rack.Errorf(rack.ENOTFOUND, "setting %s not found", st.Name)
	case st.Version != 0 && stored.Version != st.Version:
		return rack.Setting{}, stale("setting " + st.Name)
	}
	st.Version++
	st.Updated = s.now()
	st.Value = slices.Clone(st.Value)
	s.settings[st.Name] = st
	return st, nil
}

// ClaimLease gives holder an app's named lease for ttl, if no one else holds
// it live.
func (s *Store) ClaimLease(_ context.Context, app, name, holder string, ttl time.Duration) (rack.Lease, error) {
	if app == "" || name == "" || holder == "" {
		return rack.Lease{}, rack.Errorf(rack.EINVALID, "a lease needs an app, a name and a holder")
	}
	if ttl <= 0 {
		return rack.Lease{}, rack.Errorf(rack.EINVALID, "lease %s of app %s: ttl must be positive", name, app)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.leaseFree(app, name, holder, now) {
		return rack.Lease{}, rack.Errorf(rack.ECONFLICT, "%s of app %s is held by someone else", name, app)
	}
	lease := rack.Lease{App: app, Name: name, Holder: holder, Expires: now.Add(ttl)}
	s.leases[[2]string{app, name}] = lease
	return lease, nil
}

// ReleaseLease frees holder's lease.
func (s *Store) ReleaseLease(_ context.Context, app, name, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leaseFree(app, name, holder, s.now()) {
		return rack.Errorf(rack.ECONFLICT, "%s of app %s is held by someone else", name, app)
	}
	delete(s.leases, [2]string{app, name})
	return nil
}

func (s *Store) leaseFree(app, name, holder string, now time.Time) bool {
	l, ok := s.leases[[2]string{app, name}]
	return !ok || !l.Expires.After(now) || l.Holder == holder
}

// BeginIdempotent records key as pending unless a live record of it exists.
func (s *Store) BeginIdempotent(_ context.Context, key string, ttl time.Duration) (rack.Idempotency, bool, error) {
	if key == "" || ttl <= 0 {
		return rack.Idempotency{}, false, rack.Errorf(rack.EINVALID, "an idempotency record needs a key and a positive ttl")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if rec, ok := s.idempotency[key]; ok && rec.Expires.After(now) {
		rec.Result = slices.Clone(rec.Result)
		return rec, false, nil
	}
	rec := rack.Idempotency{Key: key, Status: rack.IdempotencyPending, Created: now, Expires: now.Add(ttl)}
	s.idempotency[key] = rec
	return rec, true, nil
}

// CompleteIdempotent stores the result of pending work.
func (s *Store) CompleteIdempotent(_ context.Context, key string, result []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.idempotency[key]
	switch {
	case !ok:
		return rack.Errorf(rack.ENOTFOUND, "no pending work %s", key)
	case rec.Status != rack.IdempotencyPending:
		return rack.Errorf(rack.ECONFLICT, "work %s is already done", key)
	}
	rec.Status, rec.Result = rack.IdempotencyDone, slices.Clone(result)
	s.idempotency[key] = rec
	return nil
}

// AbandonIdempotent deletes pending work's record; an absent one is fine.
func (s *Store) AbandonIdempotent(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.idempotency[key]; ok && rec.Status != rack.IdempotencyPending {
		return rack.Errorf(rack.ECONFLICT, "work %s is already done", key)
	}
	delete(s.idempotency, key)
	return nil
}
