package main

import (
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

func (c *cli) releases(root *cobra.Command) {
	c.command(root, "releases", "list releases for an app", spec{args: exactly(0), flags: []flagSpec{flagApp, flagLimit, flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		app, err := client.AppGet(r.ctx(), r.App())
		if err != nil {
			return err
		}
		rs, err := newest(r, func(p rack.Page) ([]sdk.Release, string, error) { return client.ReleaseListPage(r.ctx(), app.Name, p) })
		if err != nil {
			return err
		}
		return r.Show(rs, func() error {
			t := r.Table("ID", "STATUS", "BUILD", "CREATED", "DESCRIPTION")
			for _, rel := range rs {
				t.Row(rel.ID, releaseStatus(app, rel), rel.Build, ago(r.now(), rel.Created), rel.Description)
			}
			return t.Print()
		})
	})

	c.command(root, "releases info", "get information about a release", spec{usage: "<release>", args: exactly(1), flags: []flagSpec{flagApp, flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		rel, err := client.ReleaseGet(r.ctx(), r.App(), r.Arg(0))
		if err != nil {
			return err
		}
		return r.Show(rel, func() error {
			i := r.Info()
			i.Add("Id", rel.ID)
			i.Add("Build", rel.Build)
			i.Add("Created", rel.Created.UTC().Format(time.RFC3339))
			i.Add("Description", rel.Description)
			i.Add("Status", rel.Status)
			i.Add("Env", envString(rel.Env))
			return i.Print()
		})
	})
}

// releaseStatus is a release's STATUS cell: "active" for the app's current
// release as Convox shows it; Rack adds the states Convox has no word for
// (promoting, failed), and leaves the others blank as Convox does.
func releaseStatus(app sdk.App, r sdk.Release) string {
	switch {
	case r.ID == app.Release:
		return string(rack.ReleaseActive)
	case r.Status == string(rack.ReleasePromoting), r.Status == string(rack.ReleaseFailed):
		return r.Status
	}
	return ""
}

// envString is an environment as Convox prints it: KEY=VALUE lines, the
// lines sorted (so A1=x comes before A=x, as in Convox).
func envString(env map[string]string) string {
	lines := make([]string, 0, len(env))
	for k, v := range env {
		lines = append(lines, k+"="+v)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
