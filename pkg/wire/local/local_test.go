package local_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/wire"
	"github.com/rackhq/rack/pkg/wire/local"
)

// TestPrepareOnEmulator: a first start makes the table, the key and the
// password hash; a second keeps the first password.
func TestPrepareOnEmulator(t *testing.T) {
	cfg := emulatortest.Config(t)
	name := emulatortest.Name("local")
	env := wire.Env{Rack: name, Table: name, Key: "alias/" + name}
	cheap := auth.Hasher{Cost: bcrypt.MinCost}
	created, err := local.Prepare(context.Background(), env, cfg, cheap, "first")
	require.NoError(t, err)
	require.True(t, created)
	created, err = local.Prepare(context.Background(), env, cfg, cheap, "another")
	require.NoError(t, err)
	require.False(t, created, "a second start keeps the first password")
}
