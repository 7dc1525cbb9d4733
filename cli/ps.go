package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rackhq/rack/pkg/sdk"
)

func (c *cli) ps(root *cobra.Command) {
	psFlags := []flagSpec{flagApp, flagJSON, func(f *pflag.FlagSet) {
		f.String("release", "", "release")
		f.StringP("service", "s", "", "service")
	}}
	c.command(root, "ps", "list app processes", spec{args: exactly(0), flags: psFlags}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		ps, err := client.ProcessList(r.ctx(), r.App(), r.String("service"), r.String("release"))
		if err != nil {
			return err
		}
		return r.Show(ps, func() error {
			t := r.Table("ID", "SERVICE", "STATUS", "RELEASE", "STARTED", "COMMAND")
			for _, p := range ps {
				t.Row(p.ID, p.Name, p.Status, p.Release, ago(r.now(), p.Started), p.Command)
			}
			return t.Print()
		})
	})

	c.command(root, "ps info", "get information about a process", spec{usage: "<pid>", args: exactly(1), flags: []flagSpec{flagApp, flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		p, err := client.ProcessGet(r.ctx(), r.App(), r.Arg(0))
		if err != nil {
			return err
		}
		return r.Show(p, func() error {
			i := r.Info()
			i.Add("Id", p.ID)
			i.Add("App", p.App)
			i.Add("Command", p.Command)
			i.Add("Instance", p.Instance)
			i.Add("Release", p.Release)
			i.Add("Service", p.Name)
			i.Add("Started", ago(r.now(), p.Started))
			i.Add("Status", p.Status)
			return i.Print()
		})
	})

	c.command(root, "ps stop", "stop a process", spec{usage: "<pid>", args: exactly(1), flags: []flagSpec{flagApp}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		r.Startf("Stopping %s", r.Arg(0))
		if err := client.ProcessStop(r.ctx(), r.App(), r.Arg(0)); err != nil {
			return err
		}
		return r.OK()
	})

	runFlags := []flagSpec{flagApp, func(f *pflag.FlagSet) {
		f.BoolP("detach", "d", false, "run process in the background")
		f.BoolP("entrypoint", "e", false, "use entrypoint")
		f.String("release", "", "release")
		f.IntP("timeout", "t", 0, "timeout")
	}}
	c.command(root, "run", "execute a command in a new process", spec{usage: "<service> <command>", args: atLeast(2), flags: runFlags}, func(r *call) error {
		if rel := r.String("release"); rel != "" {
			return errors.New("--release is not supported yet: a run uses the active release")
		}
		client, err := r.Rack()
		if err != nil {
			return err
		}
		if r.Bool("detach") {
			r.Startf("Running detached process")
			p, err := client.ProcessRun(r.ctx(), r.App(), r.Arg(0), strings.Join(r.Args[1:], " "))
			if err != nil {
				return err
			}
			return r.OK(p.ID)
		}
		p, err := client.ProcessRun(r.ctx(), r.App(), r.Arg(0), strings.Join(r.Args[1:], " "))
		if err != nil {
			return err
		}
		return r.attach(client, p, time.Duration(r.Int("timeout"))*time.Second)
	})
}

// defaultRunTimeout is how long an attached run may take, as Convox's.
const defaultRunTimeout = time.Hour

// attach shows process p's output as it comes, and ends as it ends: with
// its exit code. A process still running after timeout is stopped, and
// the run fails saying so; a run never waits longer.
func (r *call) attach(client *sdk.Client, p sdk.Process, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = defaultRunTimeout
	}
	deadline := r.now().Add(timeout)
	opts := sdk.AppLogsOptions{Since: time.Minute, Service: p.Name, Process: p.ID}
	for {
		// The process first: once it has stopped, the read after it holds
		// all its output.
		now, err := client.ProcessGet(r.ctx(), r.App(), p.ID)
		if err != nil {
			return err
		}
		page, err := client.AppLogs(r.ctx(), r.App(), opts)
		if err != nil {
			return err
		}
		for _, e := range page.Events {
			r.Writef("%s\n", strings.TrimRight(e.Message, "\n"))
		}
		opts.Cursor = page.Next
		if now.Status == "stopped" {
			if now.ExitCode != nil && *now.ExitCode != 0 {
				return exitStatus(*now.ExitCode)
			}
			return nil
		}
		if r.now().After(deadline) {
			if err := client.ProcessStop(r.ctx(), r.App(), p.ID); err != nil {
				return err
			}
			return fmt.Errorf("process %s: still running after %s: stopped", p.ID, timeout)
		}
		r.sleep(pollInterval)
	}
}

// exitStatus ends convox with a process's exit code, and no message.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
