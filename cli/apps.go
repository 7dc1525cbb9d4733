package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

func (c *cli) apps(root *cobra.Command) {
	c.command(root, "apps", "list apps", spec{args: exactly(0), flags: []flagSpec{flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		apps, err := client.AppList(r.ctx())
		if err != nil {
			return err
		}
		return r.Show(apps, func() error {
			t := r.Table("APP", "STATUS", "RELEASE")
			for _, a := range apps {
				t.Row(a.Name, a.Status, a.Release)
			}
			return t.Print()
		})
	})

	c.command(root, "apps cancel", "cancel an app update", spec{usage: "[app]", args: atMost(1), flags: []flagSpec{flagApp, flagWait}}, func(r *call) error {
		app := coalesce(r.Arg(0), r.App())
		client, err := r.Rack()
		if err != nil {
			return err
		}
		r.Writef("Cancelling deployment of %s...\n", app)
		// Under --wait: the release being deployed, and how many of its
		// promotion's events there were before the cancel.
		promoting, seen := "", 0
		if r.Bool("wait") {
			a, err := client.AppGet(r.ctx(), app)
			if err != nil {
				return err
			}
			if promoting = a.Promoting; promoting != "" {
				evs, err := client.ReleaseEvents(r.ctx(), app, promoting)
				if err != nil {
					return err
				}
				seen = len(evs)
			}
		}
		if err := client.AppCancel(r.ctx(), app); err != nil {
			return err
		}
		if promoting != "" {
			rel, err := r.followPromotion(client, app, promoting, seen)
			if err != nil {
				return err
			}
			if rel.Status != string(rack.ReleaseFailed) {
				return fmt.Errorf("release %s is %s: it was deployed before the cancel took effect", rel.ID, rel.Status)
			}
		}
		return r.OK()
	})

	c.command(root, "apps create", "create an app", spec{
		usage: "[name]", args: atMost(1),
		flags: []flagSpec{flagWait, flagString("generation", "g", "app generation (only 2)")},
	}, func(r *call) error {
		if g := r.String("generation"); g != "" && g != rack.AppGeneration {
			return fmt.Errorf("generation %s apps are not supported: a Rack app is generation %s (convox.yml)", g, rack.AppGeneration)
		}
		app := coalesce(r.Arg(0), r.App())
		client, err := r.Rack()
		if err != nil {
			return err
		}
		r.Startf("Creating %s", app)
		if _, err := client.AppCreate(r.ctx(), app); err != nil {
			return err
		}
		if r.Bool("wait") {
			if _, err := r.waitApp(client, app, rack.AppRunning); err != nil {
				return err
			}
		}
		return r.OK()
	})

	c.command(root, "apps delete", "delete an app", spec{usage: "<app>", args: exactly(1), flags: []flagSpec{flagWait}}, func(r *call) error {
		app := r.Arg(0)
		client, err := r.Rack()
		if err != nil {
			return err
		}
		r.Startf("Deleting %s", app)
		if _, err := client.AppDelete(r.ctx(), app); err != nil {
			return err
		}
		if r.Bool("wait") {
			if _, err := r.waitApp(client, app, ""); err != nil {
				return err
			}
		}
		return r.OK()
	})

	c.command(root, "apps info", "get information about an app", spec{usage: "[app]", args: atMost(1), flags: []flagSpec{flagApp, flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		a, err := client.AppGet(r.ctx(), coalesce(r.Arg(0), r.App()))
		if err != nil {
			return err
		}
		return r.Show(a, func() error {
			i := r.Info()
			i.Add("Name", a.Name)
			i.Add("Status", a.Status)
			i.Add("Generation", a.Generation)
			i.Add("Locked", strconv.FormatBool(a.Locked))
			i.Add("Release", a.Release)
			if a.Router != "" {
				i.Add("Router", a.Router)
			}
			return i.Print()
		})
	})
}

func coalesce(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// waitTimeout bounds every --wait.
const waitTimeout = 30 * time.Minute

// waitApp polls an app until it has status want ("" means: until it is
// gone), failing when it fails.
func (c *cli) waitApp(client *sdk.Client, name string, want rack.AppStatus) (sdk.App, error) {
	deadline := c.now().Add(waitTimeout)
	for {
		a, err := client.AppGet(c.ctx(), name)
		switch {
		case want == "" && rack.IsCode(err, rack.ENOTFOUND):
			return sdk.App{}, nil
		case err != nil:
			return sdk.App{}, err
		case a.Status == string(want):
			return a, nil
		case a.Status == string(rack.AppFailed):
			return a, rack.Errorf(rack.EINTERNAL, "app %s failed", name)
		case c.now().After(deadline):
			return a, fmt.Errorf("app %s: still %s after %s", name, a.Status, waitTimeout)
		}
		c.sleep(pollInterval)
	}
}
