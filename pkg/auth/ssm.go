package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/crypto/bcrypt"

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

// SSMAPI is the part of the SSM client SSMHashes uses.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// SSMHashes keeps the password hash in one SecureString parameter of SSM
// Parameter Store, encrypted with the account's aws/ssm KMS key. A hash is
// not a secret the way a password is, but encrypting it keeps offline
// guessing out of reach of anyone who can merely list parameters.
type SSMHashes struct {
	client SSMAPI
	name   string
}

var _ HashStore = (*SSMHashes)(nil)

// NewSSMHashes returns a store over the named parameter, such as
// "/rack/<name>/password-hash".
func NewSSMHashes(client SSMAPI, parameterName string) *SSMHashes {
	return &SSMHashes{client: client, name: parameterName}
}

// PasswordHash reads and decrypts the stored hash.
func (s *SSMHashes) PasswordHash(ctx context.Context) ([]byte, error) {
	out, err := s.client.GetParameter(ctx, &ssm.GetParameterInput{
		Name:           aws.String(s.name),
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		var notFound *types.ParameterNotFound
		if errors.As(err, &notFound) {
			return nil, rack.Errorf(rack.ENOTFOUND, "password hash parameter %s not found", s.name)
		}
		return nil, fmt.Errorf("read password hash parameter %s: %w", s.name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return nil, fmt.Errorf("read password hash parameter %s: empty value", s.name)
	}
	return []byte(aws.ToString(out.Parameter.Value)), nil
}

// SetPasswordHash stores hash as a SecureString. It refuses anything that is
// not a bcrypt hash, so that a password can never be stored in the clear by
// mistake.
func (s *SSMHashes) SetPasswordHash(ctx context.Context, hash []byte, overwrite bool) error {
	if _, err := bcrypt.Cost(hash); err != nil {
		return rack.Errorf(rack.EINVALID, "password hash is not a bcrypt hash")
	}
	_, err := s.client.PutParameter(ctx, &ssm.PutParameterInput{
		Name:        aws.String(s.name),
		Value:       aws.String(string(hash)),
		Type:        types.ParameterTypeSecureString,
		Overwrite:   aws.Bool(overwrite),
		Description: aws.String("bcrypt hash of the rack password"),
	})
	if err != nil {
		var exists *types.ParameterAlreadyExists
		if errors.As(err, &exists) {
			return rack.Errorf(rack.ECONFLICT, "password hash parameter %s already exists", s.name)
		}
		return fmt.Errorf("write password hash parameter %s: %w", s.name, err)
	}
	return nil
}

// EnsurePassword stores the hash of password unless a hash is already
// stored, and reports whether it stored one. A rack keeps the password it was
// first given: a restarted dev server or a repeated install must not reset
// the password a user already has.
func EnsurePassword(ctx context.Context, hashes HashStore, password string) (created bool, err error) {
	// Reading first spares a bcrypt hash on every start once a hash exists.
	_, err = hashes.PasswordHash(ctx)
	switch {
	case err == nil:
		return false, nil
	case !rack.IsCode(err, rack.ENOTFOUND):
		return false, fmt.Errorf("ensure password: %w", err)
	}
	hash, err := Hash(password)
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
