package auth

import (
	"context"
	"fmt"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// Sealer encrypts and decrypts a secret; the rack's KMS envelope sealer is
// one.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, sealed []byte) ([]byte, error)
}

// Settings is the part of the rack's store the hash is kept in.
type Settings interface {
	GetSetting(ctx context.Context, name string) (rack.Setting, error)
	PutSetting(ctx context.Context, s rack.Setting) (rack.Setting, error)
}

// SettingHashes keeps the password hash as a rack setting
// (names.PasswordHashSetting), sealed. A hash is not a secret the way a
// password is, but sealing it keeps offline guessing out of reach of
// anyone who can merely read the table. It keeps all of a rack's state in
// its table, and spares the functions an SSM client (which costs each of
// them some 2 ms of start and 0.25 MB) and SSM's low request rate.
type SettingHashes struct {
	settings Settings
	sealer   Sealer
}

var _ HashStore = (*SettingHashes)(nil)

// NewSettingHashes returns the hash store of a rack's settings.
func NewSettingHashes(settings Settings, sealer Sealer) *SettingHashes {
	return &SettingHashes{settings: settings, sealer: sealer}
}

// PasswordHash reads and opens the stored hash; ENOTFOUND while there is
// none.
func (s *SettingHashes) PasswordHash(ctx context.Context) ([]byte, error) {
	st, err := s.settings.GetSetting(ctx, names.PasswordHashSetting)
	if err != nil {
		return nil, err
	}
	hash, err := s.sealer.Open(ctx, st.Value)
	if err != nil {
		return nil, fmt.Errorf("open password hash: %w", err)
	}
	return hash, nil
}

// SetPasswordHash seals and stores hash. It refuses anything that is not a
// bcrypt hash, so that a password can never be stored by mistake. Without
// overwrite, a stored hash is ECONFLICT; with it, a hash stored meanwhile
// by another writer is replaced.
func (s *SettingHashes) SetPasswordHash(ctx context.Context, hash []byte, overwrite bool) error {
	if !isHash(hash) {
		return rack.Errorf(rack.EINVALID, "password hash is not a bcrypt hash")
	}
	sealed, err := s.sealer.Seal(ctx, hash)
	if err != nil {
		return fmt.Errorf("seal password hash: %w", err)
	}
	for attempt := 0; ; attempt++ {
		st := rack.Setting{Name: names.PasswordHashSetting, Value: sealed}
		if overwrite {
			current, err := s.settings.GetSetting(ctx, names.PasswordHashSetting)
			switch {
			case err == nil:
				st.Version = current.Version
			case !rack.IsCode(err, rack.ENOTFOUND):
				return err
			}
		}
		_, err := s.settings.PutSetting(ctx, st)
		if err == nil || !overwrite || !rack.IsCode(err, rack.ECONFLICT) || attempt == 2 {
			return err
		}
	}
}
