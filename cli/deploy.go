package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// deployFlags are Convox's flags of `convox deploy`: those of `convox
// build`, and --wait, which is on unless --wait=false: a deploy ends when
// its release is active, or says why it is not.
var deployFlags = append(append([]flagSpec{}, buildFlags...), func(f *pflag.FlagSet) {
	f.BoolP("wait", "w", true, "wait for completion (--wait=false: return once promoting)")
})

func (c *cli) deploy(root *cobra.Command) {
	c.command(root, "deploy", "create and promote a build", spec{usage: "[dir]", args: atMost(1), flags: deployFlags}, func(r *call) error {
		b, err := r.runBuild()
		if err != nil {
			return err
		}
		client, err := r.Rack()
		if err != nil {
			return err
		}
		if err := r.promote(client, r.App(), b.Release, r.Bool("wait")); err != nil {
			return err
		}
		return r.ID(b.Release)
	})
}
