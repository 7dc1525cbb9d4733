package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every error exits 1, as Convox's do.
const (
	exitOK    = 0
	exitError = 1
)

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
	// editor runs an editor on a file, attached to the terminal.
	editor func(editor, file string) error
	// companion finds convox-aws.
	companion func() (string, error)
}

func newIO(stdin *os.File, stdout, stderr io.Writer, getenv func(string) string) *cliIO {
	return &cliIO{
		stdin: stdin, stdinIsTTY: isTerminal(stdin), stdout: stdout, stderr: stderr, getenv: getenv,
		now: time.Now, http: &http.Client{Timeout: 60 * time.Second}, sleep: func(time.Duration) { time.Sleep(pollInterval) },
		home: os.UserHomeDir, editor: runEditor, companion: companionPath,
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// pollInterval is the pause between checks of --wait.
const pollInterval = 500 * time.Millisecond

// cli holds the global flags and the IO of one run.
type cli struct {
	*cliIO
	rack string // -r/--rack
}

// newRoot builds the command tree. Commands that need no rack (version,
// help) must not touch the network or load AWS configuration, so nothing
// here does until a command runs.
func newRoot(io *cliIO) *cobra.Command {
	c := &cli{cliIO: io}
	root := &cobra.Command{
		Use:           "convox",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return errUnknownCommand{args[0]}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetIn(io.stdin)
	root.SetOut(io.stdout)
	root.SetErr(io.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	root.PersistentFlags().StringVarP(&c.rack, "rack", "r", "", "rack name")
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		if cmd == root {
			helpAll(io.stdout, root)
			return
		}
		helpCommand(io.stdout, cmd)
	})
	root.SetHelpCommand(&cobra.Command{
		Use: "help", Short: "list commands",
		Args: func(_ *cobra.Command, a []string) error { return atMost(1)(len(a)) },
		RunE: func(*cobra.Command, []string) error {
			helpAll(io.stdout, root)
			return nil
		},
	})
	for _, add := range []func(*cobra.Command){
		c.apps, c.build, c.builds, c.deploy, c.env, c.login, c.logs, c.racks, c.rackCommands, c.ps, c.releases, c.services, c.version, c.api,
	} {
		add(root)
	}
	return root
}

// errUnknownCommand is a command line that names no command.
type errUnknownCommand struct{ name string }

func (e errUnknownCommand) Error() string { return "unknown command: " + e.name }

// flagError words pflag's errors as Convox does.
func flagError(err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown shorthand flag") {
		parts := strings.Fields(msg)
		return fmt.Errorf("unknown flag: %s", parts[len(parts)-1])
	}
	return err
}

// run executes the command line and returns the process exit code: data
// and progress go to stdout, errors to stderr as "ERROR: what: why".
func run(args []string, io *cliIO) int {
	if len(args) > 0 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Fprintln(io.stdout, version)
		return exitOK
	}
	root := newRoot(io)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var status exitStatus
	if errors.As(err, &status) {
		// A run's own exit code, passed through, with no message.
		return int(status)
	}
	var unknown errUnknownCommand
	if errors.As(err, &unknown) {
		// Convox shows the commands; it also exits 0, which hides a typo
		// from a script: Rack exits 1.
		helpAll(io.stdout, root)
	}
	fmt.Fprintf(io.stderr, "ERROR: %s\n", explain(err))
	return exitError
}

// helpAll lists every command and what it does, as Convox's help does.
func helpAll(w io.Writer, root *cobra.Command) {
	type line struct{ name, text string }
	var lines []line
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			if sub.Hidden && sub.Short != "" {
				continue // the completion scripts
			}
			if !sub.Hidden {
				lines = append(lines, line{sub.CommandPath(), sub.Short})
			}
			walk(sub)
		}
	}
	walk(root)
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.name, b.name) })
	width := 7
	for _, l := range lines {
		width = max(width, len(l.name))
	}
	for _, l := range lines {
		fmt.Fprintf(w, "%-*s  %s\n", width, l.name, l.text)
	}
}

// helpCommand describes one command: usage, description and options.
func helpCommand(w io.Writer, cmd *cobra.Command) {
	usage := strings.TrimPrefix(cmd.Use, cmd.Name())
	fmt.Fprintf(w, "USAGE\n  %s%s\n\nDESCRIPTION\n  %s\n\nOPTIONS\n", cmd.CommandPath(), usage, cmd.Short)
	var rows [][3]string
	add := func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		long, short := "--"+f.Name, ""
		if f.Shorthand != "" {
			short = "-" + f.Shorthand
		}
		if f.Value.Type() != "bool" {
			long += " <" + f.Name + ">"
		}
		rows = append(rows, [3]string{long, short, f.Usage})
	}
	cmd.NonInheritedFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	slices.SortFunc(rows, func(a, b [3]string) int { return strings.Compare(a[0], b[0]) })
	long, short := 0, 0
	for _, r := range rows {
		long, short = max(long, len(r[0])), max(short, len(r[1]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %-*s  %s\n", long, r[0], short, r[1], r[2])
	}
}
