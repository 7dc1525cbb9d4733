package names_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

func TestNames(t *testing.T) {
	require.Equal(t, "prod-App-web", names.AppStack("prod", "web"))
	require.Equal(t, "prod/web", names.Repository("prod", "web"))
	require.Equal(t, "/convox/prod/web", names.LogGroup("prod", "web"))
	require.Equal(t, "prod-events", names.EventBus("prod"))
	require.Equal(t, "rack-artifacts-123456789012-eu-west-1", names.ArtifactsBucket("123456789012", "eu-west-1"))
	require.Equal(t, "versions/1.2.3/arm64/rack.json", names.ArtifactsTemplate("1.2.3", "arm64"))
	require.Equal(t, "https://s3.eu-west-1.amazonaws.com/rack-artifacts-123456789012-eu-west-1/versions/1.2.3/arm64/rack.json",
		names.ArtifactsURL("123456789012", "eu-west-1", names.ArtifactsTemplate("1.2.3", "arm64")))
	require.Equal(t, map[string]string{"Rack": "prod", "App": "web", "Type": "app"}, names.AppStackTags("prod", "web"))
}

// sample holds the shortest, the longest and the oddest names a rack and an
// app may have, and the pairs whose plain hyphen join would collide.
func sample(t *testing.T) []string {
	longest := "a" + strings.Repeat("b9-", 9) + "zz"
	require.Len(t, longest, rack.MaxAppNameLength)
	s := []string{"a", "a1", "a--b", "a-b", "b-c", "b", "c", "app", "a-app", "app-b", longest}
	for _, n := range s {
		require.NoError(t, rack.ValidateAppName(n))
	}
	return s
}

// TestAppStacksNeverCollide: no two (rack, app) pairs share an app stack,
// and no app stack is a rack's own stack (named as the rack).
func TestAppStacksNeverCollide(t *testing.T) {
	require.NotEqual(t, names.AppStack("a-b", "c"), names.AppStack("a", "b-c"))
	s := sample(t)
	owner := map[string][2]string{}
	for _, r := range s {
		for _, a := range s {
			stack := names.AppStack(r, a)
			prev, taken := owner[stack]
			require.False(t, taken, "rack %s app %s and rack %s app %s share stack %s", r, a, prev[0], prev[1], stack)
			owner[stack] = [2]string{r, a}
		}
	}
	for _, r := range s {
		_, taken := owner[r]
		require.False(t, taken, "rack %s's own stack is an app stack", r)
	}
}

// TestAppOfStack: the inverse finds the app of the rack's app stacks, and
// nothing in other racks' stacks, the rack's own stack or nested stacks.
func TestAppOfStack(t *testing.T) {
	s := sample(t)
	for _, r := range s {
		for _, a := range s {
			got, ok := names.AppOfStack(r, names.AppStack(r, a))
			require.True(t, ok)
			require.Equal(t, a, got)
			for _, other := range s {
				if other == r {
					continue
				}
				got, ok := names.AppOfStack(other, names.AppStack(r, a))
				require.False(t, ok, "rack %s takes rack %s's app %s as its app %s", other, r, a, got)
			}
		}
	}
	for _, stack := range []string{"prod", "prod-web", "prod-App-", "prod-App-web-Service-1AB2C3", "prod-App-Web", "prod-App-1web", "dev-App-web"} {
		_, ok := names.AppOfStack("prod", stack)
		require.False(t, ok, stack)
	}
}

// TestNamesFitAWS checks every derived name against the length limits and
// patterns of the AWS API models. Rack names are held to the rules of app
// names.
func TestNamesFitAWS(t *testing.T) {
	limits := []struct {
		what     string
		name     func(rack, app string) string
		min, max int
		pattern  *regexp.Regexp
	}{
		{"stack name", names.AppStack, 1, 128, regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]*$`)},
		{"ECR repository name", names.Repository, 2, 256, regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)},
		{"log group name", names.LogGroup, 1, 512, regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)},
		{"event bus name", func(r, _ string) string { return names.EventBus(r) }, 1, 256, regexp.MustCompile(`^[/\.\-_A-Za-z0-9]+$`)},
	}
	s := sample(t)
	for _, r := range s {
		for _, a := range s {
			for _, l := range limits {
				got := l.name(r, a)
				require.GreaterOrEqual(t, len(got), l.min, "%s %q", l.what, got)
				require.LessOrEqual(t, len(got), l.max, "%s %q", l.what, got)
				require.Regexp(t, l.pattern, got, l.what)
			}
		}
	}
}

// FuzzAppOfStack: whatever stack name an event carries, an app found in it
// is one whose stack has exactly that name.
func FuzzAppOfStack(f *testing.F) {
	f.Add("prod", "prod-App-web")
	f.Add("a", "a-App-b-c")
	f.Add("a-b", "a-b-App-c-Service-ABC")
	f.Fuzz(func(t *testing.T, rackName, stack string) {
		app, ok := names.AppOfStack(rackName, stack)
		if !ok {
			return
		}
		if names.AppStack(rackName, app) != stack {
			t.Fatalf("AppOfStack(%q, %q) = %q, whose stack is %q", rackName, stack, app, names.AppStack(rackName, app))
		}
		if strings.ToLower(app) != app || app == "" {
			t.Fatalf("AppOfStack(%q, %q) = %q: not a lowercase name", rackName, stack, app)
		}
	})
}
