package appstack

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// uncamel reads a name back from camel's form, as camel's doc says it
// can be; ok is false for what camel never writes.
func uncamel(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Y':
			b.WriteByte('-')
			b.WriteByte(c - 'A' + 'a')
		case c == 'Z' && i+1 < len(s):
			i++
			switch n := s[i]; {
			case n == 'Z':
				b.WriteString("-z")
			case n == 'H':
				b.WriteByte('-')
			case n >= '0' && n <= '9':
				b.WriteByte('-')
				b.WriteByte(n)
			default:
				return "", false
			}
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	name, ok := strings.CutPrefix(b.String(), "-")
	return name, ok
}

// names lists every manifest name of up to n characters over alphabet.
func allNames(alphabet string, n int) []string {
	var out []string
	var grow func(prefix string)
	grow = func(prefix string) {
		out = append(out, prefix)
		if len(prefix) == n {
			return
		}
		for _, c := range alphabet {
			grow(prefix + string(c))
		}
	}
	for _, c := range alphabet {
		if c >= 'a' && c <= 'z' {
			grow(string(c))
		}
	}
	return out
}

// TestCamelIsOneToOne: camel writes only letters and digits, starting
// with a capital, and the name can be read back from it, so no two names
// share an id; checked on every name of up to 6 characters over letters
// that matter (a, y, z), digits and the hyphen.
func TestCamelIsOneToOne(t *testing.T) {
	require.Equal(t, "Web", camel("web"))
	require.Equal(t, "WebApi", camel("web-api"))
	require.Equal(t, "AB", camel("a-b"))
	require.Equal(t, "Ab", camel("ab"))
	require.Equal(t, "AZ1", camel("a-1"))
	require.Equal(t, "WorkerZ2", camel("worker-2"))
	require.Equal(t, "ZZeta", camel("zeta"))
	require.Equal(t, "AZHB", camel("a--b"))
	require.Equal(t, "AZH", camel("a-"))

	seen := map[string]string{}
	for _, name := range allNames("ayz09-", 6) {
		id := camel(name)
		require.Regexp(t, `^[A-Z][A-Za-z0-9]*$`, id, name)
		back, ok := uncamel(id)
		require.True(t, ok, "%s: %s", name, id)
		require.Equal(t, name, back, id)
		prev, taken := seen[id]
		require.False(t, taken, "%s and %s are both %s", prev, name, id)
		seen[id] = name
	}
}

// TestPrefixesKeepIDsApart: an id is a prefix and a camel form, which
// starts with a capital (or, numbered, a digit). So no prefix followed by
// a capital or a digit may start another prefix or a fixed id, or two
// kinds of resource could share an id.
func TestPrefixesKeepIDsApart(t *testing.T) {
	prefixes := []string{
		prefixTaskDefinition, prefixService, prefixTaskRole, prefixSecurityGroup,
		prefixTargetGroup + external, prefixTargetGroup + internal, prefixRule + external, prefixRule + internal,
		prefixScalableTarget, prefixScaling + "Cpu", prefixScaling + "Memory", prefixScaling + "Requests",
		prefixScaling + "Custom", prefixSchedule, prefixTimerTaskDefinition, prefixTimerTaskRole,
	}
	fixed := []string{idRepository, idLogGroup, idExecutionRole, idSchedulerRole}
	outputs := []string{prefixOutputService, prefixOutputHosts}
	fixedOutputs := []string{outputRepositoryName, outputRepositoryURI, outputLogGroup, outputRelease}
	apart := func(prefixes, others []string) {
		for _, p := range prefixes {
			for _, q := range others {
				if p == q || !strings.HasPrefix(q, p) {
					continue
				}
				next := q[len(p)]
				require.False(t, next >= 'A' && next <= 'Z' || next >= '0' && next <= '9',
					"prefix %s followed by a name can be %s", p, q)
			}
		}
	}
	apart(prefixes, append(prefixes, fixed...))
	apart(outputs, append(outputs, fixedOutputs...))
	for i, p := range prefixes {
		require.NotContains(t, prefixes[i+1:], p, "prefix %s twice", p)
	}
}

func TestFargateSize(t *testing.T) {
	for _, c := range []struct{ cpu, memory, wantCPU, wantMemory int }{
		{256, 512, 256, 512},
		{256, 600, 256, 1024},
		{256, 2048, 256, 2048},
		{256, 2049, 512, 3072},
		{512, 512, 512, 1024},
		{1000, 3000, 1024, 3072},
		{256, 122880, 16384, 122880},
		{4096, 30000, 4096, 30720},
		{4096, 31000, 8192, 32768},
		{8192, 16385, 8192, 20480},
		{16384, 1, 16384, 32768},
	} {
		cpu, memory, ok := fargateSize(c.cpu, c.memory)
		require.True(t, ok, "%+v", c)
		require.Equal(t, [2]int{c.wantCPU, c.wantMemory}, [2]int{cpu, memory}, "%+v", c)
	}
	_, _, ok := fargateSize(16385, 512)
	require.False(t, ok)
	_, _, ok = fargateSize(256, 122881)
	require.False(t, ok)
}

func TestBalancerName(t *testing.T) {
	name, ok := balancerName("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/rack-router/50dc6c495c0c9188/f2f7dc8efc522ab2")
	require.True(t, ok)
	require.Equal(t, "app/rack-router/50dc6c495c0c9188", name)
	for _, bad := range []string{
		"", "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/nlb/50dc6c495c0c9188/f2f7dc8efc522ab2",
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/rack-router/50dc6c495c0c9188",
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/rack-router/50dc6c495c0c9188",
	} {
		_, ok := balancerName(bad)
		require.False(t, ok, bad)
	}
}
