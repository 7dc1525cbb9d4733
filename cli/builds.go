package main

import (
	"github.com/spf13/cobra"
)

func (c *cli) newBuilds() *cobra.Command {
	cmd := c.addJSON(&cobra.Command{
		Use:   "builds",
		Short: "List an app's builds, newest first",
		Args:  cobra.NoArgs,
	})
	app := appFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		client, name, err := c.envTarget(*app)
		if err != nil {
			return err
		}
		bs, err := client.BuildList(c.ctx(), name)
		if err != nil {
			return explain(err)
		}
		if c.json {
			return printJSON(c.stdout, bs)
		}
		rows := make([][]string, 0, len(bs))
		for _, b := range bs {
			rows = append(rows, []string{b.ID, b.Status, b.Release, ago(c.now(), b.Created), b.Description})
		}
		return table(c.stdout, []string{"ID", "STATUS", "RELEASE", "STARTED", "DESCRIPTION"}, rows)
	}
	infoCmd := c.addJSON(&cobra.Command{
		Use:   "info <id>",
		Short: "Describe a build",
		Args:  cobra.ExactArgs(1),
	})
	infoApp := appFlag(infoCmd)
	infoCmd.RunE = func(cmd *cobra.Command, args []string) error {
		client, name, err := c.envTarget(*infoApp)
		if err != nil {
			return err
		}
		b, err := client.BuildGet(c.ctx(), name, args[0])
		if err != nil {
			return explain(err)
		}
		if c.json {
			return printJSON(c.stdout, b)
		}
		pairs := [][2]string{{"Id", b.ID}, {"Status", b.Status}, {"Release", b.Release}, {"Description", b.Description}}
		if b.Started != nil {
			pairs = append(pairs, [2]string{"Started", ago(c.now(), *b.Started)})
		}
		if b.Started != nil && b.Ended != nil {
			pairs = append(pairs, [2]string{"Elapsed", b.Ended.Sub(*b.Started).String()})
		}
		if b.Reason != "" {
			pairs = append(pairs, [2]string{"Reason", b.Reason})
		}
		return info(c.stdout, pairs)
	}
	cmd.AddCommand(infoCmd)
	return cmd
}
