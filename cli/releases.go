package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

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

	c.command(root, "releases manifest", "get manifest for a release", spec{usage: "<release>", args: exactly(1), flags: []flagSpec{flagApp}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		app, id := r.App(), r.Arg(0)
		rel, err := client.ReleaseGet(r.ctx(), app, id)
		if err != nil {
			return err
		}
		if rel.Build == "" {
			return rack.Errorf(rack.EINVALID, "no build for release: %s", id)
		}
		b, err := client.BuildGet(r.ctx(), app, rel.Build)
		if err != nil {
			return err
		}
		r.Writef("%s\n", strings.TrimSpace(b.Manifest))
		return nil
	})

	c.command(root, "releases promote", "promote a release", spec{usage: "[release]", args: atMost(1), flags: []flagSpec{flagApp, flagWait}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		app, id := r.App(), r.Arg(0)
		if id == "" {
			// The latest release, as Convox promotes.
			rs, _, err := client.ReleaseListPage(r.ctx(), app, rack.Page{Limit: 1})
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				return rack.Errorf(rack.EINVALID, "no releases to promote")
			}
			id = rs[0].ID
		}
		return r.promote(client, app, id, r.Bool("wait"))
	})

	c.command(root, "releases rollback", "copy an old release forward and promote it", spec{
		usage: "<release>", args: exactly(1), flags: []flagSpec{flagApp, flagID, flagWait},
	}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		app, id := r.App(), r.Arg(0)
		r.Startf("Rolling back to %s", id)
		old, err := client.ReleaseGet(r.ctx(), app, id)
		if err != nil {
			return err
		}
		if old.Build == "" {
			// Without a build the new release would keep the latest one's.
			return rack.Errorf(rack.EINVALID, "release %s has no build to roll back to", id)
		}
		env := old.Env
		if env == nil {
			env = map[string]string{}
		}
		rel, err := client.ReleaseCreate(r.ctx(), app, sdk.ReleaseCreateOptions{
			Build: &old.Build, Env: &env, Description: "rollback to " + id,
		})
		if err != nil {
			return err
		}
		r.OK(rel.ID)
		if err := r.promote(client, app, rel.ID, r.Bool("wait")); err != nil {
			return err
		}
		return r.ID(rel.ID)
	})
}

// promote deploys release id of app as Convox's commands do: once the app
// is ready ("Waiting for app to be ready... OK" when it is not),
// "Promoting <id>... OK". Under wait the line ends at "Promoting <id>... ",
// the promotion's stack events follow as they come, and "OK" once the
// release is active; a release whose promotion failed is an error that
// says why.
func (r *call) promote(client *sdk.Client, app, id string, wait bool) error {
	a, err := client.AppGet(r.ctx(), app)
	if err != nil {
		return err
	}
	if a.Status != string(rack.AppRunning) {
		r.Startf("Waiting for app to be ready")
		if _, err := r.waitApp(client, app, rack.AppRunning); err != nil {
			return err
		}
		r.OK()
	}
	r.Startf("Promoting %s", id)
	rel, err := client.ReleasePromote(r.ctx(), app, id)
	if err != nil {
		return err
	}
	if rel.Status == string(rack.ReleasePromoting) && wait {
		r.Writef("\n")
		if rel, err = r.followPromotion(client, app, id, 0); err != nil {
			return err
		}
	}
	if rel.Status == string(rack.ReleaseFailed) {
		return promotionFailed(rel)
	}
	return r.OK()
}

// promotionFailed is the error of a release whose promotion failed: why,
// as the rack recorded it.
func promotionFailed(rel sdk.Release) error {
	if rel.Reason == "" {
		return fmt.Errorf("release %s failed", rel.ID)
	}
	return fmt.Errorf("release %s failed: %s", rel.ID, rel.Reason)
}

// followPromotion prints the stack events of release id's promotion, from
// the from-th on, as they come, one line each, and a line each time the
// ECS deployment of one of the app's services changes, until the release
// is no longer promoting; it returns the release as it then stands.
func (r *call) followPromotion(client *sdk.Client, app, id string, from int) (sdk.Release, error) {
	deadline := r.now().Add(waitTimeout)
	shown := from
	seen := map[string]string{} // service → its deployment's last line
	for first := true; ; first = false {
		// The release first: once it has ended, the events read after
		// it hold every event of its promotion.
		rel, err := client.ReleaseGet(r.ctx(), app, id)
		if err != nil {
			return sdk.Release{}, err
		}
		evs, err := client.ReleaseEvents(r.ctx(), app, id)
		if err != nil {
			return sdk.Release{}, err
		}
		if len(evs) < shown {
			shown = 0 // another promotion of the release began
		}
		for _, e := range evs[shown:] {
			r.Writef("%s\n", eventLine(e))
		}
		shown = len(evs)
		ds, err := client.AppDeployments(r.ctx(), app)
		if err != nil {
			return sdk.Release{}, err
		}
		for _, d := range ds {
			line := deploymentLine(d)
			if before, ok := seen[d.Service]; !ok && first {
				// What the deployments were before: not news.
				seen[d.Service] = line
				continue
			} else if ok && before == line {
				continue
			}
			seen[d.Service] = line
			r.Writef("%s\n", line)
		}
		if rel.Status != string(rack.ReleasePromoting) {
			return rel, nil
		}
		if r.now().After(deadline) {
			return rel, fmt.Errorf("release %s: still promoting after %s", id, waitTimeout)
		}
		r.sleep(pollInterval)
	}
}

// deploymentLine is the state of a service's ECS deployment on one plain
// line: when it changed, the service, its rollout state, its tasks, and
// ECS's reason when there is one.
func deploymentLine(d sdk.Deployment) string {
	line := fmt.Sprintf("%s %s deployment %s %d/%d running", d.Updated.UTC().Format(time.RFC3339), d.Service, d.State, d.Running, d.Desired)
	if d.Pending > 0 {
		line += fmt.Sprintf(", %d pending", d.Pending)
	}
	if d.Failed > 0 {
		line += fmt.Sprintf(", %d failed", d.Failed)
	}
	if d.Reason != "" {
		line += " " + d.Reason
	}
	return oneLine(line)
}

// eventLine is a stack event on one plain line: its time, the resource,
// its status, and the reason when there is one. Control characters in a
// reason (which may quote an app's own output) are spaces, so that the
// line is one line and moves no cursor.
func eventLine(e sdk.StackEvent) string {
	line := e.Time.UTC().Format(time.RFC3339) + " " + e.Resource + " " + e.Status
	if e.Reason != "" {
		line += " " + e.Reason
	}
	return oneLine(line)
}

// oneLine is line with its control characters as spaces: one line that
// moves no cursor, whatever a reason quotes of an app's output.
func oneLine(line string) string {
	return strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return ' '
		}
		return c
	}, line)
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
