package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

func (c *cli) env(root *cobra.Command) {
	c.command(root, "env", "list env vars", spec{args: exactly(0), flags: []flagSpec{flagApp, flagJSON}}, func(r *call) error {
		env, err := r.environment()
		if err != nil {
			return err
		}
		return r.Show(env, func() error {
			r.Writef("%s\n", envString(env))
			return nil
		})
	})

	c.command(root, "env get", "get an env var", spec{usage: "<var>", args: exactly(1), flags: []flagSpec{flagApp}}, func(r *call) error {
		env, err := r.environment()
		if err != nil {
			return err
		}
		v, ok := env[r.Arg(0)]
		if !ok {
			return rack.Errorf(rack.ENOTFOUND, "env not found: %s", r.Arg(0))
		}
		r.Writef("%s\n", v)
		return nil
	})

	c.command(root, "env set", "set env var(s)", spec{
		usage: "<key=value> [key=value]...", args: anyArgs,
		flags: []flagSpec{flagApp, flagID, flagWait, flagPromote, flagBool("replace", "", "replace all environment variables with given ones")},
	}, func(r *call) error {
		changes := rack.Environment{}
		for _, a := range r.Args {
			k, v, err := rack.ParseEnvironmentLine(a)
			if err != nil {
				return err
			}
			changes[k] = v
		}
		if !r.stdinIsTTY && r.stdin != nil {
			if err := readEnvLines(r.stdin, changes); err != nil {
				return err
			}
		}
		if len(changes) == 0 && !r.Bool("replace") {
			return rack.Errorf(rack.EINVALID, "nothing to set: give KEY=VALUE arguments or lines on stdin")
		}
		replace := r.Bool("replace")
		return r.release("Setting "+strings.Join(slices.Sorted(maps.Keys(changes)), ", "), func(env map[string]string) map[string]string {
			if replace {
				env = map[string]string{}
			}
			maps.Copy(env, changes)
			return env
		})
	})

	c.command(root, "env unset", "unset env var(s)", spec{usage: "<key> [key]...", args: atLeast(1), flags: []flagSpec{flagApp, flagID, flagWait, flagPromote}}, func(r *call) error {
		for _, k := range r.Args {
			if err := rack.ValidateEnvKey(k); err != nil {
				return err
			}
		}
		return r.release("Unsetting "+strings.Join(slices.Sorted(slices.Values(r.Args)), ", "), func(env map[string]string) map[string]string {
			for _, k := range r.Args {
				delete(env, k)
			}
			return env
		})
	})

	c.command(root, "env edit", "edit env interactively", spec{args: exactly(0), flags: []flagSpec{flagApp, flagWait, flagPromote}}, func(r *call) error {
		env, err := r.environment()
		if err != nil {
			return err
		}
		edited, err := r.edit(coalesce(r.getenv("EDITOR"), "vi"), env)
		if err != nil {
			return err
		}
		// What the edit changed, made again on whatever changed meanwhile.
		return r.release("Setting "+strings.Join(slices.Sorted(maps.Keys(edited)), ", "), func(now map[string]string) map[string]string {
			for k := range env {
				if _, kept := edited[k]; !kept {
					delete(now, k)
				}
			}
			for k, v := range edited {
				if old, ok := env[k]; !ok || old != v {
					now[k] = v
				}
			}
			return now
		})
	})
}

// environment reads the app's environment.
func (r *call) environment() (map[string]string, error) {
	client, err := r.Rack()
	if err != nil {
		return nil, err
	}
	env, err := client.EnvironmentGet(r.ctx(), r.App())
	if err != nil {
		return nil, err
	}
	return env, nil
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

// edit writes env to <app>.env in a private temporary directory, runs the
// editor on it and reads it back. A value with a newline, or starting with
// a quote, is written as a JSON string so that one line stays one variable.
func (r *call) edit(editor string, env map[string]string) (map[string]string, error) {
	dir, err := os.MkdirTemp("", "convox-env-")
	if err != nil {
		return nil, fmt.Errorf("env edit: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, r.App()+".env")
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if strings.ContainsAny(v, "\n\r") || strings.HasPrefix(v, `"`) {
			q, _ := json.Marshal(v)
			v = string(q)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("env edit: %w", err)
	}
	if err := r.editor(editor, file); err != nil {
		return nil, fmt.Errorf("env edit: %s: %w", editor, err)
	}
	data, err := os.ReadFile(file)
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

// runEditor runs an editor command (which may carry arguments, as $EDITOR
// often does) on file, attached to the terminal.
func runEditor(editor, file string) error {
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "editor", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

// flagPromote promotes the release an env command makes (--wait then
// waits for it), as in Convox.
var flagPromote = flagBool("promote", "p", "promote the release")

// release makes a release of the app's environment as change makes it,
// and says so as Convox does: "Setting A, B... OK", then "Release: <id>";
// with --promote it promotes it ("Promoting <id>... OK", --wait waiting
// for it); under --id the id alone on stdout. The release names the one its
// environment was read from: if another change came first (409), the
// environment is read again and the change made again, so concurrent
// changes are all kept.
func (r *call) release(doing string, change func(env map[string]string) map[string]string) error {
	client, err := r.Rack()
	if err != nil {
		return err
	}
	r.Startf("%s", doing)
	tried := ""
	for attempt := 1; ; attempt++ {
		env, parent, err := client.EnvironmentRelease(r.ctx(), r.App())
		if err != nil {
			return err
		}
		env = change(env)
		rel, err := client.ReleaseCreate(r.ctx(), r.App(), sdk.ReleaseCreateOptions{Env: &env, Parent: &parent})
		// Made again only when the app did move on: a conflict of another
		// kind (the app being deleted) is the answer.
		if rack.IsCode(err, rack.ECONFLICT) && (attempt == 1 || parent != tried) && attempt < maxReleaseAttempts {
			tried = parent
			continue
		}
		if err != nil {
			return err
		}
		r.OK()
		r.Writef("Release: %s\n", rel.ID)
		if r.Bool("promote") {
			if err := r.promote(client, r.App(), rel.ID, r.Bool("wait")); err != nil {
				return err
			}
		}
		return r.ID(rel.ID)
	}
}

// maxReleaseAttempts bounds how often a change of environment is made
// again after others overtook it: enough for dozens of changes at once.
const maxReleaseAttempts = 50
