package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	version = "1.2.3"
	for _, c := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"version", []string{"version"}, exitOK, "client: 1.2.3\n", ""},
		{"unknown command", []string{"bogus"}, exitUsage, "", "ERROR: unknown command \"bogus\" for \"convox\"\n"},
		{"extra argument", []string{"version", "x"}, exitUsage, "", "ERROR: unknown command \"x\" for \"convox version\"\n"},
		{"unknown flag", []string{"--nope"}, exitUsage, "", "ERROR: unknown flag: --nope\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(c.args, &stdout, &stderr)
			require.Equal(t, c.code, code)
			require.Equal(t, c.stdout, stdout.String())
			require.Equal(t, c.stderr, stderr.String())
		})
	}
}

func TestHelpListsCommands(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, run([]string{"--help"}, &stdout, &stderr))
	require.Contains(t, stdout.String(), "version")
	require.Empty(t, stderr.String())
}
