package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVersionAndHelpTouchNothing runs the built binary with an AWS profile
// that does not exist and a rack host where nothing listens: loading AWS
// configuration or calling the rack would fail, so success shows that
// version and --help do neither.
func TestVersionAndHelpTouchNothing(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "convox")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, args := range [][]string{{"version"}, {"--help"}, {"rack", "install", "--help"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{
			"AWS_PROFILE=no-such-profile", "AWS_CONFIG_FILE=/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials",
			"CONVOX_HOST=http://127.0.0.1:1", "CONVOX_CONFIG=" + t.TempDir(),
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "convox %v: %s", args, stderr.String())
		require.Empty(t, stderr.String())
		require.NotEmpty(t, stdout.String())
	}
}
