package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/rack"
)

// memHashes is a HashStore in memory.
type memHashes struct {
	hash    []byte
	readErr error
	raced   bool // another writer gets in between a read and a write
	writes  int
}

func (m *memHashes) PasswordHash(context.Context) ([]byte, error) {
	switch {
	case m.readErr != nil:
		return nil, m.readErr
	case m.hash == nil:
		return nil, rack.Errorf(rack.ENOTFOUND, "no password hash")
	}
	return m.hash, nil
}

func (m *memHashes) SetPasswordHash(_ context.Context, hash []byte, overwrite bool) error {
	if m.raced {
		m.hash = []byte("theirs")
	}
	if m.hash != nil && !overwrite {
		return rack.Errorf(rack.ECONFLICT, "exists")
	}
	m.hash = hash
	m.writes++
	return nil
}

func TestEnsurePassword(t *testing.T) {
	ctx := context.Background()
	t.Run("stores once", func(t *testing.T) {
		m := &memHashes{}
		created, err := cheap.EnsurePassword(ctx, m, password)
		require.NoError(t, err)
		require.True(t, created)
		require.NoError(t, bcrypt.CompareHashAndPassword(m.hash, []byte(password)))

		created, err = cheap.EnsurePassword(ctx, m, "another")
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, 1, m.writes)
		require.NoError(t, bcrypt.CompareHashAndPassword(m.hash, []byte(password)))
	})
	t.Run("loses a race", func(t *testing.T) {
		m := &memHashes{raced: true}
		created, err := cheap.EnsurePassword(ctx, m, password)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, []byte("theirs"), m.hash)
	})
	t.Run("cannot read", func(t *testing.T) {
		down := errors.New("ssm down")
		m := &memHashes{readErr: down}
		_, err := cheap.EnsurePassword(ctx, m, password)
		require.ErrorIs(t, err, down)
		require.Zero(t, m.writes)
	})
	t.Run("empty password", func(t *testing.T) {
		m := &memHashes{}
		_, err := cheap.EnsurePassword(ctx, m, "")
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
		require.Zero(t, m.writes)
	})
}
