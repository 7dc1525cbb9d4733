package auth

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/rack"
)

// Username is the only user a rack knows, as the convox CLI sends it.
const Username = "convox"

// Cost is the bcrypt work factor of new hashes: twice bcrypt's default, some
// 100 ms on one core. The Verifier pays it once per cache period, not once
// per request, so it can stay well above what a per-request check could
// afford. Existing hashes keep the cost they were made with.
const Cost = 11

// MaxPasswordLength is bcrypt's limit: it ignores every byte past the 72nd,
// so a longer password is refused rather than silently shortened.
const MaxPasswordLength = 72

// passwordBytes of randomness make a generated password: 160 bits.
const passwordBytes = 20

// passwordEncoding spells generated passwords in upper-case letters and the
// digits 2–7: safe in a URL, a shell and a flag value (no leading "-").
var passwordEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Hasher hashes new passwords with bcrypt at Cost; its zero value uses
// the package's Cost. Tests give a cheap cost (bcrypt.MinCost) by making
// their own, so that no test pays a production hash.
type Hasher struct {
	Cost int
}

func (h Hasher) cost() int {
	if h.Cost == 0 {
		return Cost
	}
	return h.Cost
}

// Hash returns the bcrypt hash of password.
func (h Hasher) Hash(password string) ([]byte, error) {
	if err := validatePassword(password); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), h.cost())
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// isHash reports whether hash is a bcrypt hash.
func isHash(hash []byte) bool {
	_, err := bcrypt.Cost(hash)
	return err == nil
}

func validatePassword(password string) error {
	switch {
	case password == "":
		return rack.Errorf(rack.EINVALID, "password is required")
	case len(password) > MaxPasswordLength:
		return rack.Errorf(rack.EINVALID, "password is longer than %d bytes", MaxPasswordLength)
	}
	return nil
}

// GeneratePassword returns a new random password of 160 bits from
// crypto/rand, 32 characters long.
func GeneratePassword() (string, error) {
	b := make([]byte, passwordBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return passwordEncoding.EncodeToString(b), nil
}
