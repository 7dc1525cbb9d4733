package cfn

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

func TestNames(t *testing.T) {
	require.Equal(t, "prod-web", StackName("prod", "web"))
	require.Equal(t, "prod/web", RepositoryName("prod", "web"))
	require.Equal(t, "/convox/prod/web", LogGroupName("prod", "web"))
}

// TestNamesFitAWS checks every derived name against the length limits and
// patterns of the AWS API models, for the shortest, the longest and the
// oddest names a rack and an app may have. Rack names are held to the
// rules of app names.
func TestNamesFitAWS(t *testing.T) {
	const maxRackName = 30
	limits := []struct {
		what     string
		name     func(rack, app string) string
		min, max int
		pattern  *regexp.Regexp
	}{
		{"stack name", StackName, 1, 128, regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]*$`)},
		{"ECR repository name", RepositoryName, 2, 256, regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)},
		{"log group name", LogGroupName, 1, 512, regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)},
	}
	longest := "a" + strings.Repeat("b9-", 9) + "zz"
	require.Len(t, longest, rack.MaxAppNameLength)
	require.Len(t, longest, maxRackName)
	names := []string{"a", "a1", "a--b", longest}
	for _, rackName := range names {
		require.NoError(t, rack.ValidateAppName(rackName))
		for _, app := range names {
			for _, l := range limits {
				got := l.name(rackName, app)
				require.GreaterOrEqual(t, len(got), l.min, "%s %q", l.what, got)
				require.LessOrEqual(t, len(got), l.max, "%s %q", l.what, got)
				require.Regexp(t, l.pattern, got, l.what)
			}
		}
	}
}
