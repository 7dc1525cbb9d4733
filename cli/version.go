package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func (c *cli) version(root *cobra.Command) {
	c.command(root, "version", "display version information", spec{args: exactly(0)}, func(r *call) error {
		r.Writef("client: %s\n", version)
		t, err := r.target()
		if errors.Is(err, errNoRack) {
			r.Writef("server: none\n")
			return nil
		}
		if err != nil {
			return err
		}
		client, err := r.clientFor(t.host, t.password)
		if err != nil {
			return err
		}
		sys, err := client.System(r.ctx())
		if err != nil {
			return err
		}
		r.Writef("server: %s (%s)\n", sys.Version, displayHost(t.host))
		return nil
	})
}
