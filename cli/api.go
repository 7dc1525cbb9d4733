package main

import (
	"github.com/spf13/cobra"
)

func (c *cli) api(root *cobra.Command) {
	c.command(root, "api get", "query the rack api", spec{usage: "<path>", args: exactly(1)}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		raw, err := client.Get(r.ctx(), r.Arg(0))
		if err != nil {
			return err
		}
		return writeJSON(r.out, raw)
	})
}
