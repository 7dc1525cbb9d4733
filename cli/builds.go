package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
)

func (c *cli) builds(root *cobra.Command) {
	c.command(root, "builds", "list builds", spec{args: exactly(0), flags: []flagSpec{flagApp, flagLimit, flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		bs, err := newest(r, func(p rack.Page) ([]sdk.Build, string, error) { return client.BuildListPage(r.ctx(), r.App(), p) })
		if err != nil {
			return err
		}
		return r.Show(bs, func() error {
			t := r.Table("ID", "STATUS", "RELEASE", "STARTED", "ELAPSED", "DESCRIPTION")
			for _, b := range bs {
				t.Row(b.ID, b.Status, b.Release, ago(r.now(), when(b.Started)), elapsed(when(b.Started), when(b.Ended)), b.Description)
			}
			return t.Print()
		})
	})

	c.command(root, "builds info", "get information about a build", spec{usage: "<build>", args: exactly(1), flags: []flagSpec{flagApp, flagJSON}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		b, err := client.BuildGet(r.ctx(), r.App(), r.Arg(0))
		if err != nil {
			return err
		}
		return r.Show(b, func() error {
			i := r.Info()
			i.Add("Id", b.ID)
			i.Add("Status", b.Status)
			i.Add("Release", b.Release)
			i.Add("Description", b.Description)
			i.Add("Started", ago(r.now(), when(b.Started)))
			i.Add("Elapsed", elapsed(when(b.Started), when(b.Ended)))
			if b.Reason != "" {
				i.Add("Reason", b.Reason)
			}
			return i.Print()
		})
	})
}

// when is a time that may be missing, as a time that may be zero.
func when(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// newest reads the first --limit items of a list that comes newest first.
func newest[T any](r *call, page func(rack.Page) ([]T, string, error)) ([]T, error) {
	limit := r.Int("limit")
	if limit <= 0 {
		return nil, rack.Errorf(rack.EINVALID, "--limit must be at least 1")
	}
	var out []T
	p := rack.Page{}
	for len(out) < limit {
		p.Limit = min(limit-len(out), rack.MaxPageLimit)
		items, next, err := page(p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	return out, nil
}
