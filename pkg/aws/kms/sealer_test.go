package kms_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
)

var _ service.Sealer = (*kms.Sealer)(nil)

// fakeKMS is KMS with one symmetric key. It wraps each data key under a
// fixed local AES-GCM key, with its key id and the encryption context as
// additional data, so that, as in KMS, a data key unwraps only under the
// same key and context, and a changed byte is refused.
type fakeKMS struct {
	keyID  string
	master cipher.AEAD
	// err, when set, is what every call returns.
	err error
	// issued holds every plaintext data key handed out, so a test can see
	// that the sealer cleared it.
	issued [][]byte
	// ignoreTrailing makes Decrypt ignore bytes after a wrapped data key,
	// as a careless KMS might.
	ignoreTrailing bool
}

var _ kms.API = (*fakeKMS)(nil)

func newFakeKMS(t *testing.T, keyID string) *fakeKMS {
	t.Helper()
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	master, err := cipher.NewGCM(block)
	require.NoError(t, err)
	return &fakeKMS{keyID: keyID, master: master}
}

// additionalData binds a wrapped data key to its key and context, in an
// order that does not depend on map iteration.
func (f *fakeKMS) additionalData(encryptionContext map[string]string) []byte {
	ad := []byte(f.keyID)
	for _, k := range slices.Sorted(maps.Keys(encryptionContext)) {
		ad = append(ad, 0)
		ad = append(ad, k...)
		ad = append(ad, 0)
		ad = append(ad, encryptionContext[k]...)
	}
	return ad
}

func (f *fakeKMS) GenerateDataKey(_ context.Context, in *awskms.GenerateDataKeyInput, _ ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.KeyId) != f.keyID {
		return nil, &types.NotFoundException{Message: aws.String("key not found")}
	}
	if in.KeySpec != types.DataKeySpecAes256 || in.NumberOfBytes != nil {
		return nil, &types.InvalidKeyUsageException{Message: aws.String("want KeySpec AES_256 alone")}
	}
	if len(in.EncryptionContext) == 0 {
		return nil, &types.InvalidKeyUsageException{Message: aws.String("this fake wants an encryption context")}
	}
	key := make([]byte, 32)
	nonce := make([]byte, f.master.NonceSize())
	_, _ = rand.Read(key)
	_, _ = rand.Read(nonce)
	wrapped := f.master.Seal(nonce, nonce, key, f.additionalData(in.EncryptionContext))
	f.issued = append(f.issued, key)
	return &awskms.GenerateDataKeyOutput{KeyId: in.KeyId, Plaintext: key, CiphertextBlob: wrapped}, nil
}

func (f *fakeKMS) Decrypt(_ context.Context, in *awskms.DecryptInput, _ ...func(*awskms.Options)) (*awskms.DecryptOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if in.KeyId != nil && *in.KeyId != f.keyID {
		return nil, &types.IncorrectKeyException{Message: aws.String("the ciphertext was not encrypted under this key")}
	}
	n := f.master.NonceSize()
	wrapped := in.CiphertextBlob
	if len(wrapped) < n {
		return nil, &types.InvalidCiphertextException{}
	}
	if size := n + 32 + f.master.Overhead(); f.ignoreTrailing && len(wrapped) > size {
		wrapped = wrapped[:size]
	}
	key, err := f.master.Open(nil, wrapped[:n], wrapped[n:], f.additionalData(in.EncryptionContext))
	if err != nil {
		return nil, &types.InvalidCiphertextException{}
	}
	f.issued = append(f.issued, key)
	return &awskms.DecryptOutput{KeyId: in.KeyId, Plaintext: key}, nil
}

const testKey = "alias/rack-test"

func newSealer(t *testing.T) (*kms.Sealer, *fakeKMS) {
	t.Helper()
	fake := newFakeKMS(t, testKey)
	return kms.New(fake, testKey), fake
}

func seal(t *testing.T, s *kms.Sealer, plaintext string) []byte {
	t.Helper()
	sealed, err := s.Seal(t.Context(), []byte(plaintext))
	require.NoError(t, err)
	return sealed
}

// encryptedKey returns a blob's encrypted data key, read by the format
// blob.go documents.
func encryptedKey(t *testing.T, sealed []byte) []byte {
	t.Helper()
	require.Greater(t, len(sealed), 3)
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	require.GreaterOrEqual(t, len(sealed), 3+n)
	return sealed[3 : 3+n]
}

func TestRoundTrip(t *testing.T) {
	big := make([]byte, 64<<10)
	_, _ = rand.Read(big)
	for name, plaintext := range map[string][]byte{
		"empty":  {},
		"nil":    nil,
		"small":  []byte("DATABASE_URL=postgres://u:p@db/app"),
		"64 KiB": big,
	} {
		t.Run(name, func(t *testing.T) {
			s, fake := newSealer(t)
			sealed, err := s.Seal(t.Context(), plaintext)
			require.NoError(t, err)
			if len(plaintext) > 0 {
				require.NotContains(t, string(sealed), string(plaintext))
			}

			opened, err := s.Open(t.Context(), sealed)
			require.NoError(t, err)
			require.NotNil(t, opened, "an empty secret opens as empty, not nil")
			require.Equal(t, len(plaintext), len(opened))
			require.True(t, bytes.Equal(plaintext, opened))

			require.Len(t, fake.issued, 2, "one data key to seal, one to open")
			for _, key := range fake.issued {
				require.Equal(t, make([]byte, 32), key, "the data key was not cleared")
			}
		})
	}
}

func TestSealsDiffer(t *testing.T) {
	s, _ := newSealer(t)
	a, b := seal(t, s, "secret"), seal(t, s, "secret")
	require.NotEqual(t, a, b)
	require.NotEqual(t, encryptedKey(t, a), encryptedKey(t, b), "each seal has a data key of its own")
}

func TestDataKeyBoundToContext(t *testing.T) {
	s, fake := newSealer(t)
	wrapped := encryptedKey(t, seal(t, s, "secret"))

	_, err := fake.Decrypt(t.Context(), &awskms.DecryptInput{CiphertextBlob: wrapped})
	require.Error(t, err, "no context")
	_, err = fake.Decrypt(t.Context(), &awskms.DecryptInput{
		CiphertextBlob:    wrapped,
		EncryptionContext: map[string]string{kms.ContextKey: "something-else"},
	})
	require.Error(t, err, "another purpose")
	_, err = fake.Decrypt(t.Context(), &awskms.DecryptInput{
		CiphertextBlob:    wrapped,
		EncryptionContext: map[string]string{kms.ContextKey: kms.Purpose},
	})
	require.NoError(t, err)
}

func TestTamperedBlobFails(t *testing.T) {
	s, _ := newSealer(t)
	sealed := seal(t, s, "hunter2")
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80} {
			tampered := bytes.Clone(sealed)
			tampered[i] ^= mask
			_, err := s.Open(t.Context(), tampered)
			require.Error(t, err, "byte %d ^ %#x", i, mask)
			require.NotContains(t, err.Error(), "hunter2")
		}
	}
}

// TestHeaderIsAuthenticated grows the encrypted data key by a byte that a
// lenient KMS ignores, so the blob parses and the data key unwraps as
// before: only the header, as GCM additional data, tells the change.
func TestHeaderIsAuthenticated(t *testing.T) {
	s, fake := newSealer(t)
	fake.ignoreTrailing = true
	sealed := seal(t, s, "hunter2")
	key := encryptedKey(t, sealed)

	grown := concat([]byte{1}, binary.BigEndian.AppendUint16(nil, uint16(len(key)+1)), key, []byte{0}, sealed[3+len(key):])
	_, err := fake.Decrypt(t.Context(), &awskms.DecryptInput{
		CiphertextBlob:    concat(key, []byte{0}),
		EncryptionContext: map[string]string{kms.ContextKey: kms.Purpose},
	})
	require.NoError(t, err, "the lenient fake unwraps the grown key")

	_, err = s.Open(t.Context(), grown)
	require.Error(t, err)
	require.NotEqual(t, rack.EINVALID, rack.ErrorCode(err), "it parses; authentication fails")
}

func TestMalformedBlobIsInvalid(t *testing.T) {
	s, _ := newSealer(t)
	for _, plaintext := range []string{"", "secret"} {
		sealed := seal(t, s, plaintext)
		for n := range len(sealed) {
			_, err := s.Open(t.Context(), sealed[:n])
			require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "%q truncated to %d of %d bytes: %v", plaintext, n, len(sealed), err)
		}
		_, err := s.Open(t.Context(), append(bytes.Clone(sealed), 0))
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "a trailing byte: %v", err)
	}

	sealed := seal(t, s, "secret")
	for _, version := range []byte{0, 2, 0xff} {
		tampered := bytes.Clone(sealed)
		tampered[0] = version
		_, err := s.Open(t.Context(), tampered)
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "version %d: %v", version, err)
		require.Contains(t, err.Error(), "version")
	}

	nonce := make([]byte, 12)
	for name, blob := range map[string][]byte{
		"nil":                  nil,
		"no data key":          concat([]byte{1, 0, 0}, nonce, []byte{0, 0, 0, 16}, make([]byte, 16)),
		"ciphertext too short": concat([]byte{1, 0, 1, 9}, nonce, []byte{0, 0, 0, 15}, make([]byte, 15)),
		"data key overruns":    concat([]byte{1, 0xff, 0xff}, make([]byte, 64)),
	} {
		_, err := s.Open(t.Context(), blob)
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "%s: %v", name, err)
	}
}

func concat(parts ...[]byte) []byte {
	return slices.Concat(parts...)
}

func TestKMSErrorIsWrapped(t *testing.T) {
	s, fake := newSealer(t)
	sealed := seal(t, s, "hunter2")
	fake.err = &types.KMSInternalException{Message: aws.String("boom")}

	_, err := s.Seal(t.Context(), []byte("hunter2"))
	var internal *types.KMSInternalException
	require.ErrorAs(t, err, &internal)
	require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
	require.True(t, strings.HasPrefix(err.Error(), "seal secret: "), err.Error())
	require.NotContains(t, err.Error(), "hunter2")

	_, err = s.Open(t.Context(), sealed)
	require.ErrorAs(t, err, &internal)
	require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
	require.True(t, strings.HasPrefix(err.Error(), "open secret: "), err.Error())
}

func TestAnotherKeyFails(t *testing.T) {
	fake := newFakeKMS(t, "key-a")
	sealed := seal(t, kms.New(fake, "key-a"), "hunter2")

	_, err := kms.New(fake, "key-b").Open(t.Context(), sealed)
	var incorrect *types.IncorrectKeyException
	require.ErrorAs(t, err, &incorrect, "Open names its key to KMS")

	_, err = kms.New(fake, "key-b").Seal(t.Context(), []byte("hunter2"))
	var notFound *types.NotFoundException
	require.ErrorAs(t, err, &notFound)
}
