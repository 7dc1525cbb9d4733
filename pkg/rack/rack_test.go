package rack_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id, err := rack.NewID(rack.BuildIDPrefix)
		require.NoError(t, err)
		require.True(t, rack.ValidID(rack.BuildIDPrefix, id), id)
		require.False(t, seen[id], "duplicate id %s", id)
		seen[id] = true
	}
}

func TestNewIDFromSkipsBiasedBytes(t *testing.T) {
	// 255 is above the last multiple of 26 and must be skipped; 0 is A, 25
	// is Z, 26 wraps to A.
	src := bytes.NewReader(append([]byte{255, 0, 25, 26, 255, 1, 2, 3, 4, 5, 6, 7}, make([]byte, 40)...))
	id, err := rack.NewIDFrom(src, rack.ReleaseIDPrefix)
	require.NoError(t, err)
	require.Equal(t, "RAZABCDEFGH", id)

	_, err = rack.NewIDFrom(bytes.NewReader(nil), "B")
	require.ErrorContains(t, err, "generate id")
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"BABCDEFGHIJ":  true,
		"RABCDEFGHIJ":  false, // wrong prefix for a build
		"BABCDEFGHI":   false,
		"BABCDEFGHIJK": false,
		"Babcdefghij":  false,
		"BABCDE1GHIJ":  false,
		"":             false,
	} {
		require.Equal(t, want, rack.ValidID(rack.BuildIDPrefix, id), id)
	}
}

func TestErrors(t *testing.T) {
	base := rack.Errorf(rack.ENOTFOUND, "app %s not found", "web")
	wrapped := fmt.Errorf("promote release R1: %w", base)
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(wrapped))
	require.Equal(t, "app web not found", rack.ErrorMessage(wrapped))
	require.True(t, rack.IsCode(wrapped, rack.ENOTFOUND))

	plain := errors.New("dial tcp 10.0.0.1:443: secret detail")
	require.Equal(t, rack.EINTERNAL, rack.ErrorCode(plain))
	require.Equal(t, "internal error", rack.ErrorMessage(plain), "internal details never reach users")
	require.Equal(t, "", rack.ErrorCode(nil))
	require.False(t, rack.IsCode(nil, rack.EINTERNAL))
}

func TestValidateAppName(t *testing.T) {
	for _, ok := range []string{"a", "web", "my-app", "app2", strings.Repeat("x", 30)} {
		require.NoError(t, rack.ValidateAppName(ok), ok)
	}
	for _, bad := range []string{"", "Web", "2app", "-a", "a-", "a_b", "a.b", "a b", strings.Repeat("x", 31)} {
		err := rack.ValidateAppName(bad)
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err), bad)
	}
}

func TestStatusMoves(t *testing.T) {
	type move struct {
		ok       bool
		from, to string
	}
	build := func(ok bool, from, to rack.BuildStatus) move { return move{ok, string(from), string(to)} }
	for _, m := range []move{
		build(true, rack.BuildCreated, rack.BuildRunning),
		build(true, rack.BuildCreated, rack.BuildComplete),
		build(true, rack.BuildRunning, rack.BuildFailed),
		build(true, rack.BuildComplete, rack.BuildComplete),
		build(false, rack.BuildComplete, rack.BuildRunning),
		build(false, rack.BuildFailed, rack.BuildComplete),
		build(false, rack.BuildRunning, rack.BuildCreated),
		build(false, "bogus", "bogus"),
	} {
		require.Equal(t, m.ok, rack.BuildStatus(m.from).CanMoveTo(rack.BuildStatus(m.to)), "%s → %s", m.from, m.to)
	}

	require.True(t, rack.AppCreating.CanMoveTo(rack.AppRunning))
	require.True(t, rack.AppFailed.CanMoveTo(rack.AppDeleting))
	require.False(t, rack.AppRunning.CanMoveTo(rack.AppCreating))
	require.False(t, rack.AppDeleting.CanMoveTo(rack.AppRunning))

	require.True(t, rack.ReleaseSuperseded.CanMoveTo(rack.ReleasePromoting), "rollback promotes an old release")
	require.False(t, rack.ReleaseCreated.CanMoveTo(rack.ReleaseActive))

	for _, s := range []rack.AppStatus{rack.AppCreating, rack.AppRunning, rack.AppUpdating, rack.AppDeleting, rack.AppFailed} {
		require.True(t, s.Valid(), s)
	}
	require.False(t, rack.AppStatus("").Valid())
	require.True(t, rack.ReleaseActive.Valid())
	require.False(t, rack.ReleaseStatus("done").Valid())
}

func TestPageLimit(t *testing.T) {
	for limit, want := range map[int]int{0: rack.DefaultPageLimit, 1: 1, rack.MaxPageLimit: rack.MaxPageLimit} {
		got, err := rack.Page{Limit: limit}.PageLimit()
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	for _, limit := range []int{-1, rack.MaxPageLimit + 1} {
		_, err := rack.Page{Limit: limit}.PageLimit()
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
	}
}

func TestEnvironment(t *testing.T) {
	for _, k := range []string{"A", "_", "a_b", "A1", "_1"} {
		require.NoError(t, rack.ValidateEnvKey(k), k)
	}
	for _, k := range []string{"", "1A", "A-B", "A B", "A=B", "É"} {
		require.Equal(t, rack.EINVALID, rack.ErrorCode(rack.ValidateEnvKey(k)), k)
	}
	require.Equal(t, rack.EINVALID, rack.ErrorCode(rack.Environment{"OK": "1", "9BAD": "x"}.Validate()))
	// A value must fit a standard SSM parameter, which containers read it
	// from; the error names the variable and the size, never the value.
	require.NoError(t, rack.Environment{"BIG": strings.Repeat("x", rack.MaxEnvValue)}.Validate())
	err := rack.Environment{"BIG": strings.Repeat("y", rack.MaxEnvValue+1)}.Validate()
	require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
	require.Equal(t, "the value of BIG is 4097 bytes: values are limited to 4096 bytes", rack.ErrorMessage(err))

	k, v, err := rack.ParseEnvironmentLine("URL=postgres://u:p@h/db?sslmode=require&x=y")
	require.NoError(t, err)
	require.Equal(t, "URL", k)
	require.Equal(t, "postgres://u:p@h/db?sslmode=require&x=y", v)
	k, v, err = rack.ParseEnvironmentLine("EMPTY=")
	require.NoError(t, err)
	require.Equal(t, "EMPTY", k)
	require.Equal(t, "", v)
	_, _, err = rack.ParseEnvironmentLine("NOEQUALS")
	require.Equal(t, rack.EINVALID, rack.ErrorCode(err))

	old := rack.Environment{"A": "1", "B": "2", "C": "3"}
	require.Equal(t, "env add:D change:B remove:A,C", rack.DescribeChange(old, rack.Environment{"B": "x", "D": "4"}))
	require.Equal(t, "env unchanged", rack.DescribeChange(old, old))
	require.Equal(t, "env add:A", rack.DescribeChange(nil, rack.Environment{"A": ""}))
}

// TestHTTPStatuses: every code is answered with its status and read back
// as itself, and the statuses only read back map to their codes.
func TestHTTPStatuses(t *testing.T) {
	for code, status := range map[string]int{
		rack.EINVALID: 400, rack.EUNAUTHORIZED: 401, rack.ENOTFOUND: 404, rack.ECONFLICT: 409, rack.EINTERNAL: 500,
	} {
		require.Equal(t, status, rack.HTTPStatus(code), code)
		require.Equal(t, code, rack.CodeOfHTTPStatus(status), status)
	}
	require.Equal(t, 500, rack.HTTPStatus("no-such-code"))
	require.Equal(t, rack.EUNAUTHORIZED, rack.CodeOfHTTPStatus(403))
	require.Equal(t, rack.EINVALID, rack.CodeOfHTTPStatus(413))
	require.Equal(t, rack.EINTERNAL, rack.CodeOfHTTPStatus(502))
	require.Equal(t, rack.EINTERNAL, rack.CodeOfHTTPStatus(418))
}
