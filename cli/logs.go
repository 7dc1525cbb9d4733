package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rackhq/rack/pkg/sdk"
)

// logFlags are Convox's flags of `convox logs` and `convox rack logs`.
var logFlags flagSpec = func(f *pflag.FlagSet) {
	f.String("filter", "", "filter the logs")
	f.Bool("no-follow", false, "do not follow the logs")
	f.Duration("since", 2*time.Minute, "show logs since a duration ago (such as 10m or 1h)")
}

func (c *cli) logs(root *cobra.Command) {
	c.command(root, "logs", "get logs for an app", spec{args: exactly(0), flags: []flagSpec{flagApp, logFlags}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		return r.followLogs(func(o sdk.AppLogsOptions) (sdk.LogPage, error) { return client.AppLogs(r.ctx(), r.App(), o) })
	})
	c.command(root, "rack logs", "get logs for the rack", spec{args: exactly(0), flags: []flagSpec{logFlags}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		return r.followLogs(func(o sdk.AppLogsOptions) (sdk.LogPage, error) { return client.RackLogs(r.ctx(), o) })
	})
}

// followLogs prints what read reads, one line an event, from --since on,
// filtered; following unless --no-follow, which ends at the first empty
// read.
func (r *call) followLogs(read func(sdk.AppLogsOptions) (sdk.LogPage, error)) error {
	since, _ := r.cmd.Flags().GetDuration("since")
	follow := !r.Bool("no-follow")
	cursor := ""
	for {
		page, err := read(sdk.AppLogsOptions{Cursor: cursor, Since: since, Filter: r.String("filter"), Follow: follow})
		if err != nil {
			return err
		}
		for _, e := range page.Events {
			r.Writef("%s\n", logLine(e))
		}
		cursor = page.Next
		if !follow && len(page.Events) == 0 {
			return nil
		}
		if err := r.ctx().Err(); err != nil {
			return nil
		}
	}
}

// logLine is a log event as Convox prints it: its time, its stream and
// its message, on one line.
func logLine(e sdk.AppLogEvent) string {
	return e.Time.UTC().Format(time.RFC3339) + " " + e.Stream + " " + strings.TrimRight(e.Message, "\n")
}
