package kms_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
)

// TestSealerOnEmulator seals and opens through the emulator's KMS, under
// symmetric keys made for the test.
func TestSealerOnEmulator(t *testing.T) {
	client := awskms.NewFromConfig(emulatortest.Config(t))
	keyA, keyB := newKey(t, client), newKey(t, client)
	a, b := kms.New(client, keyA), kms.New(client, keyB)

	big := make([]byte, 64<<10)
	_, _ = rand.Read(big)
	for name, plaintext := range map[string][]byte{
		"empty":  {},
		"small":  []byte("DATABASE_URL=postgres://u:p@db/app"),
		"64 KiB": big,
	} {
		t.Run(name, func(t *testing.T) {
			sealed, err := a.Seal(t.Context(), plaintext)
			require.NoError(t, err)
			opened, err := a.Open(t.Context(), sealed)
			require.NoError(t, err)
			require.Equal(t, plaintext, opened)
		})
	}

	t.Run("seals differ", func(t *testing.T) {
		require.NotEqual(t, seal(t, a, "hunter2"), seal(t, a, "hunter2"))
	})

	// AWS refuses a data key wrapped under another key than the one Decrypt
	// names (IncorrectKeyException); MiniStack 1.5.33 unwraps it under the
	// named key into a wrong data key. Either way Open must fail, here by
	// AES-GCM authentication rather than by KMS.
	t.Run("another key", func(t *testing.T) {
		sealed := seal(t, b, "hunter2")
		_, err := a.Open(t.Context(), sealed)
		require.Error(t, err)
		require.NotEqual(t, rack.EINVALID, rack.ErrorCode(err), "the blob is well formed: %v", err)
		require.NotContains(t, err.Error(), "hunter2")
	})

	t.Run("bound to context", func(t *testing.T) {
		wrapped := encryptedKey(t, seal(t, a, "hunter2"))
		_, err := client.Decrypt(t.Context(), &awskms.DecryptInput{KeyId: aws.String(keyA), CiphertextBlob: wrapped})
		require.Error(t, err, "a data key unwrapped without its encryption context")
		_, err = client.Decrypt(t.Context(), &awskms.DecryptInput{
			KeyId:             aws.String(keyA),
			CiphertextBlob:    wrapped,
			EncryptionContext: map[string]string{kms.ContextKey: kms.Purpose},
		})
		require.NoError(t, err)
	})

	t.Logf("sealed and opened under KMS on the %s", emulatortest.String())
}

// newKey creates a symmetric KMS key and schedules its deletion when the
// test ends.
func newKey(t *testing.T, client *awskms.Client) string {
	t.Helper()
	out, err := client.CreateKey(t.Context(), &awskms.CreateKeyInput{
		Description: aws.String(emulatortest.Name("rack-test")),
		KeySpec:     types.KeySpecSymmetricDefault,
		KeyUsage:    types.KeyUsageTypeEncryptDecrypt,
	})
	require.NoError(t, err, "create key")
	id := aws.ToString(out.KeyMetadata.KeyId)
	t.Cleanup(func() {
		_, err := client.ScheduleKeyDeletion(context.Background(), &awskms.ScheduleKeyDeletionInput{
			KeyId:               aws.String(id),
			PendingWindowInDays: aws.Int32(7),
		})
		if err != nil {
			t.Errorf("schedule deletion of key %s: %v", id, err)
		}
	})
	return id
}
