package auth

import "sync/atomic"

// CountCompares makes v count its bcrypt comparisons, so that tests can tell
// a cached answer from a computed one without timing anything.
func CountCompares(v *Verifier) *atomic.Int64 {
	var n atomic.Int64
	compare := v.compare
	v.compare = func(hash, password []byte) error {
		n.Add(1)
		return compare(hash, password)
	}
	return &n
}

// TrackedAddresses is how many addresses v remembers failures of.
func TrackedAddresses(v *Verifier) int { return v.failures.tracked() }

// AddressKey is addressKey.
var AddressKey = addressKey

// HasherCost is the cost h hashes at.
func HasherCost(h Hasher) int { return h.cost() }
