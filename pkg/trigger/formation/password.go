package formation

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/rack"
)

// TypeRackPassword sets the rack's API password: it keeps only the
// password's bcrypt hash, in the SSM parameter the API reads, and answers
// the clear password once, as the NoEcho attribute Password. Without a
// Password property it generates one. Its physical id is the parameter's
// name.
//
// Properties: ParameterName; Password (optional).
const TypeRackPassword = "Custom::RackPassword"

// AttributePassword is the attribute holding the clear password.
const AttributePassword = "Password"

// HashParameters keep password hashes in named parameters; pkg/aws/ssm's
// Parameters are SSM's.
type HashParameters interface {
	// Hashes is the hash kept in the named parameter.
	Hashes(parameter string) auth.HashStore
	// DeleteHash deletes the named parameter; one that does not exist is
	// not an error.
	DeleteHash(ctx context.Context, parameter string) error
}

// Passwords is what RackPassword needs.
type Passwords struct {
	Parameters HashParameters
	// Hasher hashes new passwords (its zero value at auth.Cost; tests make
	// it cheap).
	Hasher auth.Hasher
	// Generate defaults to auth.GeneratePassword.
	Generate func() (string, error)
}

// parameterName is what SSM takes for a parameter's name.
var parameterName = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)

// maxParameterName is SSM's limit on a parameter's name.
const maxParameterName = 2048

func decodePassword(p Properties) (name, password string, err error) {
	var errs []error
	if name, err = p.String("ParameterName"); err != nil {
		errs = append(errs, err)
	} else if len(name) > maxParameterName || !parameterName.MatchString(name) || reservedParameter(name) {
		errs = append(errs, propertyError("ParameterName", "%s is not an SSM parameter name", quote(name)))
	}
	// Never quoted in an error: it is the password.
	if password, err = p.OptionalString("Password"); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return "", "", err
	}
	return name, password, nil
}

// reservedParameter: SSM refuses names that begin with aws or ssm.
func reservedParameter(name string) bool {
	n := strings.ToLower(strings.TrimPrefix(name, "/"))
	return strings.HasPrefix(n, "aws") || strings.HasPrefix(n, "ssm")
}

// RackPassword is the Custom::RackPassword resource.
func RackPassword(p Passwords) Resource {
	if p.Generate == nil {
		p.Generate = auth.GeneratePassword
	}
	// set stores the hash of password, generating one when it is "".
	set := func(ctx context.Context, name, password string) (string, error) {
		if password == "" {
			var err error
			if password, err = p.Generate(); err != nil {
				return "", err
			}
		}
		hash, err := p.Hasher.Hash(password)
		if err != nil {
			return "", propertyError("Password", "%v", err)
		}
		if err := p.Parameters.Hashes(name).SetPasswordHash(ctx, hash, true); err != nil {
			return "", err
		}
		return password, nil
	}
	secret := func(name, password string) Result {
		r := Result{PhysicalID: name, Secret: true}
		if password != "" {
			r.Data = map[string]any{AttributePassword: password}
		}
		return r
	}
	return Resource{
		Create: func(ctx context.Context, req Request) (Result, error) {
			name, password, err := decodePassword(req.Properties())
			if err != nil {
				return Result{}, err
			}
			if password, err = set(ctx, name, password); err != nil {
				return Result{}, err
			}
			return secret(name, password), nil
		},
		Update: func(ctx context.Context, req Request) (Result, error) {
			name, password, err := decodePassword(req.Properties())
			if err != nil {
				return Result{}, err
			}
			old := req.PhysicalResourceID
			// Old properties that do not read (an older template's) count
			// as another password.
			oldPassword, oldErr := req.OldProperties().OptionalString("Password")
			switch {
			case name != old && password == "":
				// A new parameter, and the rack keeps its password: the
				// old hash moves over, unless there is none to move.
				hash, err := p.Parameters.Hashes(old).PasswordHash(ctx)
				switch {
				case rack.IsCode(err, rack.ENOTFOUND):
					if password, err = set(ctx, name, ""); err != nil {
						return Result{}, err
					}
					return secret(name, password), nil
				case err != nil:
					return Result{}, err
				}
				if err := p.Parameters.Hashes(name).SetPasswordHash(ctx, hash, true); err != nil {
					return Result{}, err
				}
				return secret(name, ""), nil
			case name != old || (password != "" && (password != oldPassword || oldErr != nil)):
				if _, err := set(ctx, name, password); err != nil {
					return Result{}, err
				}
			}
			// A Password property removed from the template leaves the
			// password as it is: a new one would lock its users out.
			return secret(name, password), nil
		},
		Delete: func(ctx context.Context, req Request) error {
			return p.Parameters.DeleteHash(ctx, req.PhysicalResourceID)
		},
	}
}
