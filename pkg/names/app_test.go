package names_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
)

func TestAppStackNames(t *testing.T) {
	require.Equal(t, "prod-App-shop-Service-web", names.TaskFamily("prod", "shop", "web"))
	require.Equal(t, "prod-App-shop-Timer-nightly", names.TimerFamily("prod", "shop", "nightly"))
	require.Equal(t, "/prod/apps/shop/env/", names.EnvParameterPath("prod", "shop"))
}

// TestFamiliesNeverCollide: no two (rack, app, service or timer) share a
// task definition family, the plain hyphen joins included ("a-b", "c",
// "d" and "a", "b-c", "d"), and every family fits ECS's pattern.
func TestFamiliesNeverCollide(t *testing.T) {
	s := sample(t)
	family := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)
	owner := map[string][3]string{}
	for _, r := range s {
		for _, a := range s {
			for _, n := range s {
				for kind, f := range map[string]func(string, string, string) string{"service": names.TaskFamily, "timer": names.TimerFamily} {
					got := f(r, a, n)
					require.Regexp(t, family, got)
					prev, taken := owner[got]
					require.False(t, taken, "%s %s of rack %s app %s shares family %s with %v", kind, n, r, a, got, prev)
					owner[got] = [3]string{r, a, kind + " " + n}
				}
			}
		}
	}
}
