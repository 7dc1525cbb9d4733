package companion_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/install/companion"
	"github.com/rackhq/rack/pkg/rack"
)

func TestReadRequest(t *testing.T) {
	req, err := companion.ReadRequest(strings.NewReader(`{"op": "uninstall", "name": "dev", "region": "eu-west-1"}`))
	require.NoError(t, err)
	require.Equal(t, companion.Request{Op: companion.OpUninstall, Name: "dev", Region: "eu-west-1"}, req)
	req, err = companion.ReadRequest(strings.NewReader(`{"op": "install", "install": {"name": "r1", "arch": "arm64"}}`))
	require.NoError(t, err)
	require.Equal(t, "r1", req.Install.Name)

	for body, msg := range map[string]string{
		`not json`: "read request",
		`{"op": "uninstall", "name": "dev", "x": 1}`: `unknown field "x"`,
		`{"op": "delete", "name": "dev"}`:            `unknown request "delete"`,
		`{"op": "doomed", "name": "Bad_Name"}`:       `rack name "Bad_Name"`,
		`{"op": "install", "name": "dev"}`:           `rack name ""`,
	} {
		_, err := companion.ReadRequest(strings.NewReader(body))
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err), body)
		require.ErrorContains(t, err, msg, body)
	}
}

// FuzzReadRequest: any input is a checked request or an EINVALID error.
func FuzzReadRequest(f *testing.F) {
	f.Add(`{"op": "uninstall", "name": "dev"}`)
	f.Add(`{"op": "install", "region": "us-east-1", "install": {"name": "r1", "params": {"A": "1"}}}`)
	f.Add(`{"op": "doomed"}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := companion.ReadRequest(strings.NewReader(body))
		if err != nil {
			require.Equal(t, rack.EINVALID, rack.ErrorCode(err), "%v", err)
			return
		}
		name := req.Name
		if req.Op == companion.OpInstall {
			name = req.Install.Name
		}
		require.NoError(t, rack.ValidateRackName(name))
		require.Contains(t, []string{companion.OpInstall, companion.OpDoomed, companion.OpUninstall}, req.Op)
	})
}
