package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoAWSInTheCLI keeps the AWS SDK out of convox's import graph: its
// package initialisation costs start-up time on every command, version and
// --help included, and so far the CLI talks only to the rack API. When a
// command needs AWS (rack install), this test must change to keep the SDK's
// configuration loading inside that command.
func TestNoAWSInTheCLI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		require.False(t, strings.HasPrefix(dep, "github.com/aws/"), "convox imports %s", dep)
	}
	require.Contains(t, string(out), "github.com/spf13/cobra")
}
