package rack

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Environment is an app's environment: variable names to values. Values
// may hold anything, "=" and newlines included.
type Environment map[string]string

var envKeyPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// ValidateEnvKey checks a variable name: a letter or underscore, then
// letters, digits and underscores.
func ValidateEnvKey(key string) error {
	if !envKeyPattern().MatchString(key) {
		return Errorf(EINVALID, "invalid environment variable name %q: use letters, digits and underscores, not starting with a digit", key)
	}
	return nil
}

// MaxEnvValue is the longest value a variable may hold, in bytes: what a
// standard SSM parameter holds (containers read each value from one, and
// standard parameters cost nothing).
const MaxEnvValue = 4096

// Validate checks every name of e, and that every value fits where
// containers read it from.
func (e Environment) Validate() error {
	for _, k := range e.Keys() {
		if err := ValidateEnvKey(k); err != nil {
			return err
		}
		if n := len(e[k]); n > MaxEnvValue {
			return Errorf(EINVALID, "the value of %s is %d bytes: values are limited to %d bytes", k, n, MaxEnvValue)
		}
	}
	return nil
}

// Keys returns e's names in order.
func (e Environment) Keys() []string {
	return slices.Sorted(maps.Keys(e))
}

// ParseEnvironmentLine splits one KEY=VALUE assignment at its first "=".
func ParseEnvironmentLine(line string) (string, string, error) {
	k, v, ok := strings.Cut(line, "=")
	if !ok {
		return "", "", Errorf(EINVALID, "%q is not KEY=VALUE", line)
	}
	if err := ValidateEnvKey(k); err != nil {
		return "", "", err
	}
	return k, v, nil
}

// DescribeChange says what changed from old to new as Convox describes a
// release made by an environment change: "env add:A change:B remove:C".
func DescribeChange(old, new Environment) string {
	var add, change, remove []string
	for _, k := range new.Keys() {
		ov, ok := old[k]
		switch {
		case !ok:
			add = append(add, k)
		case ov != new[k]:
			change = append(change, k)
		}
	}
	for _, k := range old.Keys() {
		if _, ok := new[k]; !ok {
			remove = append(remove, k)
		}
	}
	parts := []string{"env"}
	for _, p := range []struct {
		verb string
		keys []string
	}{{"add", add}, {"change", change}, {"remove", remove}} {
		if len(p.keys) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%s", p.verb, strings.Join(p.keys, ",")))
		}
	}
	if len(parts) == 1 {
		return "env unchanged"
	}
	return strings.Join(parts, " ")
}
