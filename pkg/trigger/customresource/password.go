package customresource

import (
	"context"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// TypeRackPassword sets the rack's API password: it keeps only the
// password's bcrypt hash, sealed, in the rack table where the API reads
// it (auth.SettingHashes), and answers the clear password once, as the
// NoEcho attribute Password. Without a Password property it generates one.
// Its physical id is the setting's name. A Delete leaves the hash to the
// table, which goes with the rack.
//
// Properties: Password (optional).
const TypeRackPassword = "Custom::RackPassword"

// AttributePassword is the attribute holding the clear password.
const AttributePassword = "Password"

// Passwords is what RackPassword needs.
type Passwords struct {
	// Hashes keeps the hash.
	Hashes auth.HashStore
	// Hasher hashes new passwords (its zero value at auth.Cost; tests make
	// it cheap).
	Hasher auth.Hasher
	// Generate defaults to auth.GeneratePassword.
	Generate func() (string, error)
}

// RackPassword is the Custom::RackPassword resource.
func RackPassword(p Passwords) Resource {
	if p.Generate == nil {
		p.Generate = auth.GeneratePassword
	}
	// set stores the hash of password, generating one when it is "".
	set := func(ctx context.Context, password string) (string, error) {
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
		if err := p.Hashes.SetPasswordHash(ctx, hash, true); err != nil {
			return "", err
		}
		return password, nil
	}
	secret := func(password string) Result {
		r := Result{PhysicalID: names.PasswordHashSetting, Secret: true}
		if password != "" {
			r.Data = map[string]any{AttributePassword: password}
		}
		return r
	}
	return Resource{
		Create: func(ctx context.Context, req Request) (Result, error) {
			// Never quoted in an error: it is the password.
			password, err := req.Properties().OptionalString("Password")
			if err != nil {
				return Result{}, err
			}
			if password, err = set(ctx, password); err != nil {
				return Result{}, err
			}
			return secret(password), nil
		},
		Update: func(ctx context.Context, req Request) (Result, error) {
			password, err := req.Properties().OptionalString("Password")
			if err != nil {
				return Result{}, err
			}
			// Old properties that do not read (an older template's) count
			// as another password.
			oldPassword, oldErr := req.OldProperties().OptionalString("Password")
			if password != "" && (password != oldPassword || oldErr != nil) {
				if _, err := set(ctx, password); err != nil {
					return Result{}, err
				}
				return secret(password), nil
			}
			// A Password property removed from the template leaves the
			// password as it is: a new one would lock its users out. Only
			// a rack with no hash at all gets one.
			_, err = p.Hashes.PasswordHash(ctx)
			switch {
			case rack.IsCode(err, rack.ENOTFOUND):
				if password, err = set(ctx, password); err != nil {
					return Result{}, err
				}
				return secret(password), nil
			case err != nil:
				return Result{}, err
			}
			return secret(password), nil
		},
		Delete: func(context.Context, Request) error { return nil },
	}
}
