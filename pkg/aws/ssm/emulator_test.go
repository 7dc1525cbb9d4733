package ssm_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ssmapi "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/ssm"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

// TestSSMHashesOnEmulator runs the hash store against SSM on the emulator.
func TestSSMHashesOnEmulator(t *testing.T) {
	client := ssmapi.NewFromConfig(emulatortest.Config(t))
	ctx := context.Background()
	name := "/rack/" + emulatortest.Name("auth") + "/password-hash"
	t.Cleanup(func() {
		_, err := client.DeleteParameter(context.Background(), &ssmapi.DeleteParameterInput{Name: aws.String(name)})
		if err != nil {
			t.Errorf("delete parameter %s: %v", name, err)
		}
	})
	hashes := ssm.NewHashes(client, name)

	_, err := hashes.PasswordHash(ctx)
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err), "%v", err)

	first := quickHash(t, password)
	require.NoError(t, hashes.SetPasswordHash(ctx, first, false))
	got, err := hashes.PasswordHash(ctx)
	require.NoError(t, err)
	require.Equal(t, first, got)

	// Stored as a SecureString: without decryption the value is not the hash.
	out, err := client.GetParameter(ctx, &ssmapi.GetParameterInput{Name: aws.String(name)})
	require.NoError(t, err)
	require.Equal(t, types.ParameterTypeSecureString, out.Parameter.Type)
	require.NotEqual(t, string(first), aws.ToString(out.Parameter.Value))

	second := quickHash(t, "second")
	err = hashes.SetPasswordHash(ctx, second, false)
	require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
	got, err = hashes.PasswordHash(ctx)
	require.NoError(t, err)
	require.Equal(t, first, got, "a refused write changed the hash")

	require.NoError(t, hashes.SetPasswordHash(ctx, second, true))
	got, err = hashes.PasswordHash(ctx)
	require.NoError(t, err)
	require.Equal(t, second, got)

	t.Logf("SSM hash store against the %s", emulatortest.String())
}

// TestEnsurePasswordOnEmulator checks that a second EnsurePassword keeps
// the first password.
func TestEnsurePasswordOnEmulator(t *testing.T) {
	client := ssmapi.NewFromConfig(emulatortest.Config(t))
	ctx := context.Background()
	name := "/rack/" + emulatortest.Name("auth") + "/password-hash"
	t.Cleanup(func() {
		_, err := client.DeleteParameter(context.Background(), &ssmapi.DeleteParameterInput{Name: aws.String(name)})
		if err != nil {
			t.Errorf("delete parameter %s: %v", name, err)
		}
	})
	hashes := ssm.NewHashes(client, name)

	created, err := auth.Hasher{Cost: bcrypt.MinCost}.EnsurePassword(ctx, hashes, password)
	require.NoError(t, err)
	require.True(t, created)
	first, err := hashes.PasswordHash(ctx)
	require.NoError(t, err)

	created, err = auth.Hasher{Cost: bcrypt.MinCost}.EnsurePassword(ctx, hashes, "another-password")
	require.NoError(t, err)
	require.False(t, created)
	got, err := hashes.PasswordHash(ctx)
	require.NoError(t, err)
	require.Equal(t, first, got)
	require.NoError(t, bcrypt.CompareHashAndPassword(got, []byte(password)))

	// And the verifier accepts it through the real store.
	v := auth.NewVerifier(hashes, auth.WithHasher(auth.Hasher{Cost: bcrypt.MinCost}))
	require.NoError(t, v.Verify(ctx, "192.0.2.1:50000", auth.Username, password))
	require.Equal(t, rack.EUNAUTHORIZED, rack.ErrorCode(v.Verify(ctx, "192.0.2.9:1", auth.Username, "another-password")))
}
