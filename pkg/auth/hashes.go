package auth

import (
	"context"
	"fmt"

	"github.com/rackhq/rack/pkg/rack"
)

// HashSource gives the stored password hash. It returns a rack.ENOTFOUND
// error while none is stored.
type HashSource interface {
	PasswordHash(ctx context.Context) ([]byte, error)
}

// HashStore is a HashSource that can also store the hash.
type HashStore interface {
	HashSource
	// SetPasswordHash stores hash; without overwrite it returns a
	// rack.ECONFLICT error when a hash is already stored.
	SetPasswordHash(ctx context.Context, hash []byte, overwrite bool) error
}

// EnsurePassword stores the hash of password unless a hash is already
// stored, and reports whether it stored one. A rack keeps the password it was
// first given: a restarted dev server or a repeated install must not reset
// the password a user already has.
func (h Hasher) EnsurePassword(ctx context.Context, hashes HashStore, password string) (created bool, err error) {
	// Reading first spares a bcrypt hash on every start once a hash exists.
	_, err = hashes.PasswordHash(ctx)
	switch {
	case err == nil:
		return false, nil
	case !rack.IsCode(err, rack.ENOTFOUND):
		return false, fmt.Errorf("ensure password: %w", err)
	}
	hash, err := h.Hash(password)
	if err != nil {
		return false, err
	}
	err = hashes.SetPasswordHash(ctx, hash, false)
	switch {
	case rack.IsCode(err, rack.ECONFLICT):
		// Another process stored one between the read and the write; its
		// hash stands.
		return false, nil
	case err != nil:
		return false, fmt.Errorf("ensure password: %w", err)
	}
	return true, nil
}
