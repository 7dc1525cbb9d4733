package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rackhq/rack/pkg/sdk"
)

// A command is declared as Convox declares its own: a full name, a
// description, its flags, its usage and how many arguments it takes, and a
// function of one run. The tree, the flag parsing and the help follow.
type spec struct {
	usage string     // what follows the command name in help: "<app>", "[name]"
	args  argsRule   // how many arguments it takes
	flags []flagSpec // its flags (the rack's -r is everyone's)
}

// argsRule checks the arguments' count, with Convox's words.
type argsRule func(n int) error

func exactly(want int) argsRule {
	return func(n int) error {
		if n != want {
			return fmt.Errorf("%d %s required", want, args(want))
		}
		return nil
	}
}

func atLeast(min int) argsRule {
	return func(n int) error {
		if n < min {
			return fmt.Errorf("at least %d %s required", min, args(min))
		}
		return nil
	}
}

func atMost(max int) argsRule {
	return func(n int) error {
		if n > max {
			return fmt.Errorf("no more than %d %s expected", max, args(max))
		}
		return nil
	}
}

func anyArgs(int) error { return nil }

func args(n int) string {
	if n == 1 {
		return "arg"
	}
	return "args"
}

// flagSpec adds one flag to a command.
type flagSpec func(*pflag.FlagSet)

// The flags Convox gives many commands, with its words.
var (
	flagApp  flagSpec = func(f *pflag.FlagSet) { f.StringP("app", "a", "", "app name") }
	flagWait flagSpec = func(f *pflag.FlagSet) { f.BoolP("wait", "w", false, "wait for completion") }
	flagID   flagSpec = func(f *pflag.FlagSet) { f.Bool("id", false, "put logs on stderr, release id on stdout") }
	// flagJSON is Rack's addition to every read.
	flagJSON flagSpec = func(f *pflag.FlagSet) { f.Bool("json", false, "print JSON") }
	// flagLimit bounds a list, newest first, as Convox's lists are.
	flagLimit flagSpec = func(f *pflag.FlagSet) { f.IntP("limit", "l", defaultLimit, "number of items to show") }
)

// defaultLimit is how many builds or releases a list shows.
const defaultLimit = 10

func flagString(name, short, usage string) flagSpec {
	return func(f *pflag.FlagSet) { f.StringP(name, short, "", usage) }
}

func flagBool(name, short, usage string) flagSpec {
	return func(f *pflag.FlagSet) { f.BoolP(name, short, false, usage) }
}

// command adds a command at its full name ("rack params set") under root,
// making the parents it needs; a parent made here is filled in when its
// own declaration comes.
func (c *cli) command(root *cobra.Command, name, description string, s spec, fn func(*call) error) {
	words := strings.Fields(name)
	parent := root
	for _, w := range words[:len(words)-1] {
		parent = child(parent, w)
	}
	cmd := child(parent, words[len(words)-1])
	cmd.Use = words[len(words)-1]
	if s.usage != "" {
		cmd.Use += " " + s.usage
	}
	cmd.Short = description
	cmd.Hidden = false
	for _, f := range s.flags {
		f(cmd.Flags())
	}
	rule := s.args
	if rule == nil {
		rule = anyArgs
	}
	cmd.Args = func(_ *cobra.Command, a []string) error { return rule(len(a)) }
	cmd.RunE = func(cmd *cobra.Command, a []string) error {
		r := &call{cli: c, cmd: cmd, Args: a, out: c.stdout, stdout: c.stdout}
		if r.Bool("id") {
			// Progress goes to stderr and stdout keeps only the id.
			r.out = c.stderr
		}
		return fn(r)
	}
}

// child finds or makes the subcommand of parent called word.
func child(parent *cobra.Command, word string) *cobra.Command {
	for _, sub := range parent.Commands() {
		if sub.Name() == word {
			return sub
		}
	}
	sub := &cobra.Command{
		Use: word, Hidden: true,
		Args: func(cmd *cobra.Command, a []string) error { return exactly(0)(len(a)) },
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	parent.AddCommand(sub)
	return sub
}

// call is one run of a command: its arguments and flags, and where its
// output goes.
type call struct {
	*cli
	cmd  *cobra.Command
	Args []string
	// out is where progress and data go: stdout, or stderr under --id.
	out io.Writer
	// stdout is the real stdout, where --id prints the id.
	stdout io.Writer
	// rackClient is the client Rack made.
	rackClient *sdk.Client
}

// Arg is the i-th argument, or "".
func (r *call) Arg(i int) string {
	if i < len(r.Args) {
		return r.Args[i]
	}
	return ""
}

// String is a string flag's value ("" if the command has no such flag).
func (r *call) String(name string) string {
	v, _ := r.cmd.Flags().GetString(name)
	return v
}

// Bool is a boolean flag's value (false if the command has no such flag).
func (r *call) Bool(name string) bool {
	v, _ := r.cmd.Flags().GetBool(name)
	return v
}

// Int is an integer flag's value.
func (r *call) Int(name string) int {
	v, _ := r.cmd.Flags().GetInt(name)
	return v
}

// ID ends a command that made something with an id: under --id the id
// alone goes to stdout, without a newline, as Convox prints it.
func (r *call) ID(id string) error {
	if r.Bool("id") {
		_, err := io.WriteString(r.stdout, id)
		return err
	}
	return nil
}
