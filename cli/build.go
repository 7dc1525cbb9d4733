package main

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/sdk"
	"github.com/rackhq/rack/pkg/source"
)

// buildFlags are Convox's flags of `convox build`. --development and
// --wildcard-domain are taken and change nothing: Rack has no
// development builds (`convox start`), and its routing has no
// wildcard-domain switch.
var buildFlags = []flagSpec{
	flagApp, flagID,
	func(f *pflag.FlagSet) { f.StringArray("build-args", nil, "build argument NAME=VALUE (repeatable)") },
	flagString("description", "d", "description"),
	flagBool("development", "", "development mode (no effect)"),
	flagString("manifest", "m", "manifest file"),
	flagBool("no-cache", "", "build without cache"),
	flagBool("wildcard-domain", "", "wildcard domain (no effect)"),
}

func (c *cli) build(root *cobra.Command) {
	c.command(root, "build", "create a build", spec{usage: "[dir]", args: atMost(1), flags: buildFlags}, func(r *call) error {
		b, err := r.runBuild()
		if err != nil {
			return err
		}
		r.Writef("Build:   %s\n", b.ID)
		r.Writef("Release: %s\n", b.Release)
		return r.ID(b.Release)
	})

	c.command(root, "builds logs", "get logs for a build", spec{usage: "<build>", args: exactly(1), flags: []flagSpec{flagApp}}, func(r *call) error {
		client, err := r.Rack()
		if err != nil {
			return err
		}
		_, err = r.followBuild(client, r.App(), r.Arg(0))
		return err
	})
}

// runBuild is `convox build`: check the manifest here, pack the
// directory, upload it straight to the rack's storage, start the build,
// and follow its output until it ends.
func (r *call) runBuild() (sdk.Build, error) {
	dir := cmp.Or(r.Arg(0), ".")
	file := cmp.Or(r.String("manifest"), "convox.yml")
	client, err := r.Rack()
	if err != nil {
		return sdk.Build{}, err
	}
	app := r.App()
	if err := r.checkManifest(client, app, dir, file); err != nil {
		return sdk.Build{}, err
	}
	description := r.String("description")
	if !r.cmd.Flags().Changed("description") {
		description = source.Describe(r.ctx(), dir)
	}
	args, _ := r.cmd.Flags().GetStringArray("build-args")

	r.Startf("Packaging source")
	var tgz bytes.Buffer
	if _, err := source.Pack(dir, &tgz, source.Options{Manifest: file}); err != nil {
		return sdk.Build{}, err
	}
	r.OK()

	r.Startf("Uploading source")
	up, err := client.SourceUploadCreate(r.ctx(), app)
	if err != nil {
		return sdk.Build{}, err
	}
	if err := r.upload(up.URL, tgz.Bytes()); err != nil {
		return sdk.Build{}, err
	}
	r.OK()

	r.Startf("Starting build")
	b, err := client.BuildCreate(r.ctx(), app, sdk.BuildCreateOptions{
		Source: up.Source, Manifest: filepath.ToSlash(file), Description: description,
		NoCache: r.Bool("no-cache"), BuildArgs: args,
	})
	if err != nil {
		return sdk.Build{}, err
	}
	r.OK()

	b, err = r.followBuild(client, app, b.ID)
	if err != nil {
		return sdk.Build{}, err
	}
	if b.Status == string(rack.BuildFailed) {
		return sdk.Build{}, fmt.Errorf("build failed: %s", cmp.Or(b.Reason, "see its logs: convox builds logs "+b.ID))
	}
	return b, nil
}

// checkManifest checks the manifest here, against the app's environment
// (what ${NAME} reads), before anything is packed or sent; the rack checks
// it again.
func (r *call) checkManifest(client *sdk.Client, app, dir, file string) error {
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("no %s in %s", file, dir)
		}
		return err
	}
	env, err := client.EnvironmentGet(r.ctx(), app)
	if err != nil {
		return err
	}
	if _, err := manifest.Load(data, env); err != nil {
		if errs, ok := manifest.IsErrors(err); ok {
			return fmt.Errorf("%s is not valid:\n%s", file, errs)
		}
		return err
	}
	return nil
}

// upload PUTs a source where the rack said: straight to its storage, with
// no credentials but the URL's.
func (r *call) upload(url string, data []byte) error {
	req, err := http.NewRequestWithContext(r.ctx(), http.MethodPut, url, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	req.Header.Set("Content-Type", "application/gzip")
	// No overall timeout: a large source on a slow link takes its time.
	res, err := (&http.Client{Transport: r.http.Transport}).Do(req)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("upload: the storage answered %s", res.Status)
	}
	return nil
}

// followBuild prints a build's output as it comes, until the build has
// ended and its output is all read, and returns the build as it ended.
func (r *call) followBuild(client *sdk.Client, app, id string) (sdk.Build, error) {
	cursor := ""
	for {
		page, err := client.BuildLogs(r.ctx(), app, id, cursor)
		if err != nil {
			return sdk.Build{}, err
		}
		for _, e := range page.Events {
			r.Writef("%s", e.Message)
			if !strings.HasSuffix(e.Message, "\n") {
				r.Writef("\n")
			}
		}
		cursor = page.Next
		if len(page.Events) > 0 {
			continue
		}
		if rack.BuildStatus(page.Status).Finished() {
			return client.BuildGet(r.ctx(), app, id)
		}
		r.sleep(pollInterval)
	}
}
