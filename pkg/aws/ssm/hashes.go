// Package ssm keeps the rack's password hash in SSM Parameter Store: the
// HashStore of pkg/auth.
package ssm

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the SSM client Hashes uses.
type API interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// Hashes keeps the password hash in one SecureString parameter of SSM
// Parameter Store, encrypted with the account's aws/ssm KMS key. A hash is
// not a secret the way a password is, but encrypting it keeps offline
// guessing out of reach of anyone who can merely list parameters.
type Hashes struct {
	client API
	name   string
}

var _ auth.HashStore = (*Hashes)(nil)

// NewHashes returns a store over the named parameter, such as
// "/rack/<name>/password-hash".
func NewHashes(client API, parameterName string) *Hashes {
	return &Hashes{client: client, name: parameterName}
}

// PasswordHash reads and decrypts the stored hash.
func (s *Hashes) PasswordHash(ctx context.Context) ([]byte, error) {
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
func (s *Hashes) SetPasswordHash(ctx context.Context, hash []byte, overwrite bool) error {
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

// ParametersAPI is the part of the SSM client Parameters use.
type ParametersAPI interface {
	API
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, opts ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// Parameters are password hashes in SSM parameters of any name, as the
// rack stack's custom resource keeps them.
type Parameters struct {
	client ParametersAPI
}

// NewParameters returns the hash parameters the client reaches.
func NewParameters(client ParametersAPI) *Parameters {
	return &Parameters{client: client}
}

// Hashes is the hash kept in the named parameter.
func (p *Parameters) Hashes(parameter string) auth.HashStore {
	return NewHashes(p.client, parameter)
}

// DeleteHash deletes the named parameter; one that does not exist is not
// an error.
func (p *Parameters) DeleteHash(ctx context.Context, parameter string) error {
	_, err := p.client.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(parameter)})
	var missing *types.ParameterNotFound
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("delete parameter %s: %w", parameter, err)
	}
	return nil
}
