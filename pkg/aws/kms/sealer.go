// Package kms seals the rack's secrets, such as an app's environment, by
// envelope encryption under a KMS key: each secret gets a data key of its
// own from KMS, is encrypted with it here with AES-256-GCM, and is kept
// next to the data key as KMS encrypted it. Only KMS can unwrap the data
// key, so the store holds nothing readable; and the secret itself never
// travels to KMS, which would take at most 4 KiB.
package kms

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/rackhq/rack/pkg/rack"
)

// The encryption context every data key is bound to. KMS unwraps a data key
// only under the same context, so a ciphertext made under the same key for
// something else cannot pass for a rack secret, and a key policy can
// require the context (kms:EncryptionContext:purpose). Changing either
// value makes every sealed secret unreadable.
const (
	ContextKey = "purpose"
	Purpose    = "rack-secret"
)

// API is the part of the KMS client the sealer uses.
type API interface {
	GenerateDataKey(ctx context.Context, in *awskms.GenerateDataKeyInput, opts ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *awskms.DecryptInput, opts ...func(*awskms.Options)) (*awskms.DecryptOutput, error)
}

// Sealer seals and opens secrets under one KMS key.
type Sealer struct {
	kms   API
	keyID string
}

// New returns a sealer under the KMS key keyID: a key id, key ARN, alias
// name or alias ARN. Open names the key to KMS too, so a secret sealed
// under any other key, even one the rack may use, is refused.
func New(client API, keyID string) *Sealer {
	return &Sealer{kms: client, keyID: keyID}
}

// maxPlaintext is the most the ciphertext's 32-bit length can describe.
const maxPlaintext = math.MaxUint32 - tagSize

// Seal encrypts plaintext under a new data key and returns the sealed blob
// that Open reads. Two seals of the same plaintext differ.
func (s *Sealer) Seal(ctx context.Context, plaintext []byte) ([]byte, error) {
	if uint64(len(plaintext)) > maxPlaintext {
		return nil, rack.Errorf(rack.EINVALID, "secret is %d bytes; at most %d can be sealed", len(plaintext), uint64(maxPlaintext))
	}
	out, err := s.kms.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{
		KeyId:             aws.String(s.keyID),
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: encryptionContext(),
	})
	if err != nil {
		return nil, fmt.Errorf("seal secret: generate data key: %w", err)
	}
	defer clear(out.Plaintext)
	if n := len(out.CiphertextBlob); n == 0 || n > maxKeyLen {
		return nil, fmt.Errorf("seal secret: KMS returned an encrypted data key of %d bytes", n)
	}
	aead, err := newAEAD(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal secret: %w", err)
	}
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal secret: read nonce: %w", err)
	}
	hdr := header(out.CiphertextBlob, nonce, len(plaintext)+tagSize)
	blob := make([]byte, 0, len(hdr)+len(plaintext)+tagSize)
	blob = append(blob, hdr...)
	return aead.Seal(blob, nonce, plaintext, hdr), nil
}

// Open decrypts a blob that Seal returned. A blob that does not parse fails
// with EINVALID; one that parses but that KMS or AES-GCM refuses, because it
// was changed or sealed under another key, fails with a plain error.
func (s *Sealer) Open(ctx context.Context, sealed []byte) ([]byte, error) {
	b, err := parse(sealed)
	if err != nil {
		return nil, err
	}
	out, err := s.kms.Decrypt(ctx, &awskms.DecryptInput{
		CiphertextBlob:    b.encryptedKey,
		KeyId:             aws.String(s.keyID),
		EncryptionContext: encryptionContext(),
	})
	if err != nil {
		return nil, fmt.Errorf("open secret: decrypt data key: %w", err)
	}
	defer clear(out.Plaintext)
	aead, err := newAEAD(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", err)
	}
	// A non-nil destination, so that an empty secret opens as empty, not nil.
	plaintext, err := aead.Open(make([]byte, 0, len(b.ciphertext)-tagSize), b.nonce, b.ciphertext, b.header)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", err)
	}
	return plaintext, nil
}

// encryptionContext returns a new map per request, where a shared one could
// be changed by any code holding it.
func encryptionContext() map[string]string {
	return map[string]string{ContextKey: Purpose}
}

// newAEAD returns AES-256-GCM under a data key. The key's length is checked
// here because aes.NewCipher would accept a shorter one as AES-128.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != dataKeySize {
		return nil, fmt.Errorf("KMS returned a data key of %d bytes, want %d", len(key), dataKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new GCM: %w", err)
	}
	return aead, nil
}
