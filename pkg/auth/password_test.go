package auth_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/rack"
)

func TestHash(t *testing.T) {
	longest := strings.Repeat("p", auth.MaxPasswordLength)
	hash, err := cheap.Hash(longest)
	require.NoError(t, err)
	require.NoError(t, bcrypt.CompareHashAndPassword(hash, []byte(longest)))
	require.Error(t, bcrypt.CompareHashAndPassword(hash, []byte(longest[1:])))
	cost, err := bcrypt.Cost(hash)
	require.NoError(t, err)
	require.Equal(t, bcrypt.MinCost, cost)
}

// TestDefaultCost: a Hasher's zero value hashes at Cost, which stays well
// above bcrypt's default. (Checked without paying for such a hash.)
func TestDefaultCost(t *testing.T) {
	require.Equal(t, auth.Cost, auth.HasherCost(auth.Hasher{}))
	require.Equal(t, 5, auth.HasherCost(auth.Hasher{Cost: 5}))
	require.GreaterOrEqual(t, auth.Cost, 10)
}

func TestHashRefuses(t *testing.T) {
	for name, password := range map[string]string{
		"empty":    "",
		"too long": strings.Repeat("p", auth.MaxPasswordLength+1),
	} {
		t.Run(name, func(t *testing.T) {
			hash, err := cheap.Hash(password)
			require.Nil(t, hash)
			require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "%v", err)
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		password, err := auth.GeneratePassword()
		require.NoError(t, err)
		// 32 base32 characters of 5 bits each: 160 bits.
		require.Regexp(t, regexp.MustCompile(`^[A-Z2-7]{32}$`), password)
		require.False(t, seen[password], "repeated password")
		seen[password] = true
	}
}
