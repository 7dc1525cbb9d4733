package main

import (
	"github.com/spf13/cobra"
)

func (c *cli) newAPI() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Call the rack API directly",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "get <path>",
		Short: "GET an API path and print its JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			raw, err := client.Get(c.ctx(), args[0])
			if err != nil {
				return explain(err)
			}
			return printJSON(c.stdout, raw)
		},
	})
	return cmd
}
