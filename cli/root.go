package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
)

// Exit codes, as the CLI style guide and Convox use them.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError marks errors in how the command was called.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// cliIO is everything a command touches outside itself, so tests can give
// it buffers, an environment, a clock and an HTTP client.
type cliIO struct {
	stdin          io.Reader
	stdinIsTTY     bool
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	http           *http.Client
	sleep          func(time.Duration) // between checks of --wait
	home           func() (string, error)
}

func newIO(stdin *os.File, stdout, stderr io.Writer, getenv func(string) string) *cliIO {
	tty := false
	if fi, err := stdin.Stat(); err == nil {
		tty = fi.Mode()&os.ModeCharDevice != 0
	}
	return &cliIO{
		stdin: stdin, stdinIsTTY: tty, stdout: stdout, stderr: stderr, getenv: getenv,
		now: time.Now, http: &http.Client{Timeout: 60 * time.Second}, sleep: func(time.Duration) { time.Sleep(pollInterval) },
		home: os.UserHomeDir,
	}
}

// pollInterval is the pause between checks of --wait.
const pollInterval = 500 * time.Millisecond

// cli holds the global flags and the IO of one run.
type cli struct {
	*cliIO
	rack string // -r/--rack
	json bool   // --json, on read commands
}

// newRoot builds the command tree. Commands that need no rack (version,
// help, completion) must not touch the network or load AWS configuration,
// so nothing here does until a command runs.
func newRoot(io *cliIO) *cobra.Command {
	c := &cli{cliIO: io}
	root := &cobra.Command{
		Use:           "convox",
		Short:         "Drive a Rack: apps, builds, releases, environment and the rack itself",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.stdin)
	root.SetOut(io.stdout)
	root.SetErr(io.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVarP(&c.rack, "rack", "r", "", "rack to use (a name or host you logged in to)")
	root.AddCommand(
		c.newLogin(), c.newLogout(), c.newRack(), c.newApps(), c.newEnv(),
		c.newReleases(), c.newBuilds(), c.newAPI(), newVersion(),
	)
	// An unknown command is a usage error, and plain `convox` shows help.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())
		}
		return nil
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	markUsage(root)
	return root
}

// run executes the command line and returns the process exit code: data
// goes to stdout, errors to stderr as "ERROR: what: why".
func run(args []string, io *cliIO) int {
	root := newRoot(io)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(io.stderr, "ERROR: %s\n", err)
	var usage usageError
	if errors.As(err, &usage) {
		return exitUsage
	}
	return exitError
}

// markUsage makes every argument-count error of cmd and its subcommands a
// usage error.
func markUsage(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		markUsage(sub)
	}
}

// addJSON gives a read command its --json flag.
func (c *cli) addJSON(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().BoolVar(&c.json, "json", false, "print JSON instead of a table")
	return cmd
}

// errNotLoggedIn explains what to do when no rack is selected.
var errNotLoggedIn = rack.Errorf(rack.EUNAUTHORIZED, "no rack selected: run `convox login HOST` or set CONVOX_HOST")
