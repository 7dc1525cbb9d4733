package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

// appFlag adds -a/--app to cmd and returns where it lands.
func appFlag(cmd *cobra.Command) *string {
	var app string
	cmd.Flags().StringVarP(&app, "app", "a", "", "app name (default: the current directory's name)")
	return &app
}

// envTarget is the client and the app of an env command.
func (c *cli) envTarget(app string) (*sdk.Client, string, error) {
	name, err := c.appName(app)
	if err != nil {
		return nil, "", err
	}
	client, err := c.client()
	if err != nil {
		return nil, "", err
	}
	return client, name, nil
}

func (c *cli) newEnv() *cobra.Command {
	cmd := c.addJSON(&cobra.Command{
		Use:   "env",
		Short: "Show an app's environment",
		Args:  cobra.NoArgs,
	})
	app := appFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		client, name, err := c.envTarget(*app)
		if err != nil {
			return err
		}
		env, err := client.EnvironmentGet(c.ctx(), name)
		if err != nil {
			return explain(err)
		}
		if c.json {
			return printJSON(c.stdout, env)
		}
		for _, k := range slices.Sorted(maps.Keys(env)) {
			fmt.Fprintf(c.stdout, "%s=%s\n", k, env[k])
		}
		return nil
	}
	cmd.AddCommand(c.newEnvGet(), c.newEnvSet(), c.newEnvUnset(), c.newEnvEdit())
	return cmd
}

func (c *cli) newEnvGet() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get <key>",
		Short: "Print one variable's value",
		Args:  cobra.ExactArgs(1),
	}
	app := appFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		client, name, err := c.envTarget(*app)
		if err != nil {
			return err
		}
		env, err := client.EnvironmentGet(c.ctx(), name)
		if err != nil {
			return explain(err)
		}
		v, ok := env[args[0]]
		if !ok {
			return rack.Errorf(rack.ENOTFOUND, "env %s: not set on app %s", args[0], name)
		}
		fmt.Fprintln(c.stdout, v)
		return nil
	}
	return cmd
}

func (c *cli) newEnvSet() *cobra.Command {
	var replace bool
	cmd := &cobra.Command{
		Use:   "set <KEY=VALUE>...",
		Short: "Set variables (also KEY=VALUE lines on stdin); makes a new release",
		Args:  cobra.ArbitraryArgs,
	}
	app := appFlag(cmd)
	cmd.Flags().BoolVar(&replace, "replace", false, "replace the whole environment with the given variables")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		changes := rack.Environment{}
		for _, a := range args {
			k, v, err := rack.ParseEnvironmentLine(a)
			if err != nil {
				return usageError{err}
			}
			changes[k] = v
		}
		if !c.stdinIsTTY && c.stdin != nil {
			if err := readEnvLines(c.stdin, changes); err != nil {
				return usageError{err}
			}
		}
		if len(changes) == 0 && !replace {
			return usageError{fmt.Errorf("nothing to set: give KEY=VALUE arguments or lines on stdin")}
		}
		client, name, err := c.envTarget(*app)
		if err != nil {
			return err
		}
		env := map[string]string{}
		if !replace {
			if env, err = client.EnvironmentGet(c.ctx(), name); err != nil {
				return explain(err)
			}
		}
		maps.Copy(env, changes)
		return c.release(client, name, env, "Setting "+strings.Join(slices.Sorted(maps.Keys(changes)), ", "))
	}
	return cmd
}

// readEnvLines reads KEY=VALUE lines; blank lines and # comments are skipped.
func readEnvLines(r io.Reader, into rack.Environment) error {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 1<<20)
	for s.Scan() {
		line := strings.TrimRight(s.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		k, v, err := rack.ParseEnvironmentLine(line)
		if err != nil {
			return err
		}
		into[k] = v
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return nil
}

func (c *cli) newEnvUnset() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unset <KEY>...",
		Short: "Remove variables; makes a new release",
		Args:  cobra.MinimumNArgs(1),
	}
	app := appFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		for _, k := range args {
			if err := rack.ValidateEnvKey(k); err != nil {
				return usageError{err}
			}
		}
		client, name, err := c.envTarget(*app)
		if err != nil {
			return err
		}
		env, err := client.EnvironmentGet(c.ctx(), name)
		if err != nil {
			return explain(err)
		}
		for _, k := range args {
			if _, ok := env[k]; !ok {
				return rack.Errorf(rack.ENOTFOUND, "env %s: not set on app %s", k, name)
			}
			delete(env, k)
		}
		return c.release(client, name, env, "Unsetting "+strings.Join(args, ", "))
	}
	return cmd
}

func (c *cli) newEnvEdit() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "edit",
		Short: "Edit the environment in $EDITOR; makes a new release if it changed",
		Args:  cobra.NoArgs,
	}
	app := appFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		editor := c.getenv("EDITOR")
		if editor == "" {
			return rack.Errorf(rack.EINVALID, "env edit: set $EDITOR")
		}
		client, name, err := c.envTarget(*app)
		if err != nil {
			return err
		}
		env, err := client.EnvironmentGet(c.ctx(), name)
		if err != nil {
			return explain(err)
		}
		edited, err := c.edit(editor, env)
		if err != nil {
			return err
		}
		if maps.Equal(env, edited) {
			fmt.Fprintln(c.stderr, "No changes")
			return nil
		}
		return c.release(client, name, edited, "Updating environment")
	}
	return cmd
}

// edit writes env to a private temporary file, runs the editor on it and
// reads it back. A value with a newline, or starting with a quote, is
// written as a JSON string so that one line stays one variable.
func (c *cli) edit(editor string, env map[string]string) (map[string]string, error) {
	f, err := os.CreateTemp("", "convox-env-*.env")
	if err != nil {
		return nil, fmt.Errorf("env edit: %w", err)
	}
	defer os.Remove(f.Name())
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if strings.ContainsAny(v, "\n\r") || strings.HasPrefix(v, `"`) {
			b, _ := json.Marshal(v)
			v = string(b)
		}
		fmt.Fprintf(f, "%s=%s\n", k, v)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("env edit: %w", err)
	}
	run := exec.Command("sh", "-c", editor+` "$1"`, "editor", f.Name())
	run.Stdin, run.Stdout, run.Stderr = os.Stdin, c.stderr, c.stderr
	if err := run.Run(); err != nil {
		return nil, fmt.Errorf("env edit: %s: %w", editor, err)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return nil, fmt.Errorf("env edit: %w", err)
	}
	edited := rack.Environment{}
	if err := readEnvLines(strings.NewReader(string(data)), edited); err != nil {
		return nil, rack.Errorf(rack.EINVALID, "env edit: %v", err)
	}
	for k, v := range edited {
		if strings.HasPrefix(v, `"`) {
			var s string
			if json.Unmarshal([]byte(v), &s) == nil {
				edited[k] = s
			}
		}
	}
	return edited, nil
}

// release makes a release with env and says so: progress on stderr, the
// release id on stdout.
func (c *cli) release(client *sdk.Client, app string, env map[string]string, doing string) error {
	fmt.Fprintf(c.stderr, "%s... ", doing)
	r, err := client.ReleaseCreate(c.ctx(), app, sdk.ReleaseCreateOptions{Env: &env})
	if err != nil {
		fmt.Fprintln(c.stderr, "FAILED")
		return explain(err)
	}
	fmt.Fprintln(c.stderr, "OK")
	fmt.Fprintf(c.stdout, "Release: %s\n", r.ID)
	return nil
}
