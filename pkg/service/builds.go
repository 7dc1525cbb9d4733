package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/buildspec"
	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/source"
)

// BuildStore is what Builds keeps.
type BuildStore interface {
	GetApp(ctx context.Context, name string) (rack.App, error)
	ListApps(ctx context.Context, page rack.Page) ([]rack.App, string, error)
	CreateBuild(ctx context.Context, build rack.Build) (rack.Build, error)
	GetBuild(ctx context.Context, app, id string) (rack.Build, error)
	ListBuilds(ctx context.Context, app string, page rack.Page) ([]rack.Build, string, error)
	UpdateBuild(ctx context.Context, build rack.Build, from rack.BuildStatus) (rack.Build, error)
	DeleteBuild(ctx context.Context, app, id string) error
	GetRelease(ctx context.Context, app, id string) (rack.Release, error)
}

// Sources keeps the sources users upload to build from.
type Sources interface {
	// UploadURL returns a URL that takes a PUT of key's content, without
	// other credentials, until ttl has passed.
	UploadURL(ctx context.Context, key string, ttl time.Duration) (string, error)
	// OpenSource reads what was uploaded at key; ENOTFOUND when nothing was.
	OpenSource(ctx context.Context, key string) (io.ReadCloser, error)
	// SourceURL names key as the builder fetches it (s3://bucket/key).
	SourceURL(key string) string
}

// Builder runs builds: the rack's CodeBuild project.
type Builder interface {
	// StartJob starts a job. A retried call for the same build starts no
	// second job.
	StartJob(ctx context.Context, job rack.BuildJob) (rack.JobState, error)
	// Jobs reads jobs' states; jobs the builder no longer knows are left
	// out.
	Jobs(ctx context.Context, ids []string) ([]rack.JobState, error)
}

// Images are apps' images in their repositories.
type Images interface {
	// DeleteImages deletes the images of app tagged tags; tags that are
	// not there are not an error.
	DeleteImages(ctx context.Context, app string, tags []string) error
}

// LogReader reads a log stream forward.
type LogReader interface {
	// ReadLog returns the events of stream after cursor ("" for the
	// start) and the cursor to read on from. A stream not written yet
	// has no events.
	ReadLog(ctx context.Context, group, stream, cursor string, limit int) ([]rack.LogEvent, string, error)
}

// Releaser makes the release a successful build leads to; *Releases is
// one.
type Releaser interface {
	ReleaseBuild(ctx context.Context, b rack.Build) (rack.Release, bool, error)
	// Environment is the app's environment: what ${NAME} in a manifest
	// reads.
	Environment(ctx context.Context, app string) (rack.Environment, error)
}

// BuildPorts are what Builds uses beyond its store. A function wires only
// what it calls: the builds function has no Sources.
type BuildPorts struct {
	Sources  Sources
	Builder  Builder
	Images   Images
	Logs     LogReader
	Releaser Releaser
	// Registry is the host of the apps' image repositories
	// (<account>.dkr.ecr.<region>.amazonaws.com).
	Registry string
	// Retention is how many builds an app keeps; older ones and their
	// images go. 0 is DefaultBuildRetention.
	Retention int
}

// DefaultBuildRetention is how many builds an app keeps unless the rack
// says otherwise.
const DefaultBuildRetention = 50

// Limits of a build request.
const (
	// UploadTTL is how long an upload URL takes a PUT.
	UploadTTL = 15 * time.Minute
	// MaxManifestSize bounds the convox.yml read from a source.
	MaxManifestSize = 1 << 20
	// unstartedGrace is how long a build may stay created with no job
	// before the sweep calls it failed: the API records it, then starts
	// it, and may die between the two.
	unstartedGrace = 5 * time.Minute
	// sweptBuilds is how many of each app's newest builds the sweep
	// looks at: a build in flight is among them unless the app started
	// that many more since, within the builder's timeout.
	sweptBuilds = 10
)

// Builds reads apps' builds, starts them, and moves them forward as the
// builder reports.
type Builds struct {
	*Core
	store BuildStore
	BuildPorts
}

// NewBuilds returns the builds use cases.
func NewBuilds(core *Core, store BuildStore, ports BuildPorts) *Builds {
	if ports.Retention <= 0 {
		ports.Retention = DefaultBuildRetention
	}
	return &Builds{Core: core, store: store, BuildPorts: ports}
}

// ListBuilds lists an app's builds newest first.
func (s *Builds) ListBuilds(ctx context.Context, app string, page rack.Page) ([]rack.Build, string, error) {
	if _, err := s.store.GetApp(ctx, app); err != nil {
		return nil, "", err
	}
	return s.store.ListBuilds(ctx, app, page)
}

// GetBuild reads one build of an app.
func (s *Builds) GetBuild(ctx context.Context, app, id string) (rack.Build, error) {
	if _, err := s.store.GetApp(ctx, app); err != nil {
		return rack.Build{}, err
	}
	return s.store.GetBuild(ctx, app, id)
}

// Upload is where a source goes: a URL that takes one PUT, and the key
// to build from afterwards.
type Upload struct {
	URL     string
	Source  string
	Expires time.Time
}

// sourcePattern is the key of an uploaded source: sources/<app>/<id>.tgz.
var sourcePattern = regexp.MustCompile(`^sources/([a-z0-9-]+)/([0-9a-f]{32})\.tgz$`)

// CreateUpload returns where to upload a source of app to build from. The
// source goes straight to storage: it never passes through the API.
func (s *Builds) CreateUpload(ctx context.Context, app string) (Upload, error) {
	a, err := s.store.GetApp(ctx, app)
	if err != nil {
		return Upload{}, err
	}
	if a.Status == rack.AppDeleting {
		return Upload{}, rack.Errorf(rack.ECONFLICT, "app %s is being deleted", app)
	}
	key := fmt.Sprintf("sources/%s/%s.tgz", app, hex.EncodeToString(random(16)))
	url, err := s.Sources.UploadURL(ctx, key, UploadTTL)
	if err != nil {
		return Upload{}, fmt.Errorf("upload url: %w", err)
	}
	return Upload{URL: url, Source: key, Expires: s.now().Add(UploadTTL)}, nil
}

// BuildOptions is what a build is asked to do.
type BuildOptions struct {
	Source      string   // the key CreateUpload returned, uploaded
	Manifest    string   // the manifest's path in the source; convox.yml
	Description string   // what the build is; shown in lists
	NoCache     bool     // build every image from scratch
	BuildArgs   []string // NAME=VALUE, for the Dockerfiles' ARGs
}

// CreateBuild records a build of app from an uploaded source and starts
// it. The source's manifest is checked first, against the app's
// environment: a manifest with errors lists them all and nothing is
// recorded.
func (s *Builds) CreateBuild(ctx context.Context, app string, opts BuildOptions) (rack.Build, error) {
	a, err := s.store.GetApp(ctx, app)
	if err != nil {
		return rack.Build{}, err
	}
	if a.Status == rack.AppDeleting || a.Status == rack.AppCreating {
		return rack.Build{}, rack.Errorf(rack.ECONFLICT, "app %s is %s; wait until it is running", app, a.Status)
	}
	opts.Manifest = cmp.Or(opts.Manifest, "convox.yml")
	args, err := checkBuildOptions(app, opts)
	if err != nil {
		return rack.Build{}, err
	}
	data, err := s.readManifest(ctx, opts)
	if err != nil {
		return rack.Build{}, err
	}
	env, err := s.Releaser.Environment(ctx, app)
	if err != nil {
		return rack.Build{}, err
	}
	m, err := manifest.Load(data, env)
	if errs, ok := manifest.IsErrors(err); ok {
		return rack.Build{}, rack.Errorf(rack.EINVALID, "%s is not valid:\n%s", opts.Manifest, errs)
	} else if err != nil {
		return rack.Build{}, err
	}
	repo := s.Registry + "/" + names.Repository(s.rack, app)
	previous, err := s.previousBuild(ctx, app)
	if err != nil {
		return rack.Build{}, err
	}
	id, err := s.newID(rack.BuildIDPrefix)
	if err != nil {
		return rack.Build{}, err
	}
	spec, err := buildspec.Render(m, buildspec.Options{
		Repository: repo,
		Build:      id,
		Source:     s.Sources.SourceURL(opts.Source),
		Dir:        path.Dir(opts.Manifest),
		NoCache:    opts.NoCache,
		Previous:   previous,
		BuildArgs:  slices.Sorted(maps.Keys(args)),
	})
	if err != nil {
		return rack.Build{}, rack.Errorf(rack.EINVALID, "%s: %v", opts.Manifest, err)
	}
	b, err := s.store.CreateBuild(ctx, rack.Build{
		ID: id, App: app, Status: rack.BuildCreated, Manifest: string(data), Description: opts.Description,
	})
	if err != nil {
		return rack.Build{}, err
	}
	vars := map[string]string{events.BuildVariableRack: s.rack, events.BuildVariableApp: app, events.BuildVariableBuild: id}
	for name, value := range args {
		vars[name] = value
	}
	job, err := s.Builder.StartJob(ctx, rack.BuildJob{App: app, Build: id, Buildspec: spec, Variables: vars})
	if err != nil {
		// The record says what happened: nothing is left in flight.
		ctx := context.WithoutCancel(ctx)
		b.Status, b.Reason, b.Ended = rack.BuildFailed, "the builder did not start: "+err.Error(), s.now()
		if _, uerr := s.store.UpdateBuild(ctx, b, rack.BuildCreated); uerr != nil {
			s.log.ErrorContext(ctx, "build left created after its start failed", "app", app, "build", id, "error", uerr)
		}
		return rack.Build{}, fmt.Errorf("start build %s: %w", id, err)
	}
	return s.recordJob(ctx, b, job)
}

// recordJob records the job that runs b, and where its output goes. The
// job's first state change may have moved the build already (its event
// names the build): the job is then recorded on the build as it is now.
func (s *Builds) recordJob(ctx context.Context, b rack.Build, job rack.JobState) (rack.Build, error) {
	for attempt := 0; ; attempt++ {
		b.Job = cmp.Or(b.Job, job.ID)
		b.Logs = cmp.Or(b.Logs, job.Logs)
		b.LogGroup, b.LogStream = cmp.Or(b.LogGroup, job.LogGroup), cmp.Or(b.LogStream, job.LogStream)
		written, err := s.store.UpdateBuild(ctx, b, b.Status)
		if err == nil {
			return written, nil
		}
		if !rack.IsCode(err, rack.ECONFLICT) || attempt == 2 {
			return rack.Build{}, fmt.Errorf("record the job of build %s: %w", b.ID, err)
		}
		if b, err = s.store.GetBuild(ctx, b.App, b.ID); err != nil {
			return rack.Build{}, err
		}
	}
}

// random returns n random bytes.
func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails: crypto/rand panics rather than return an error
	return b
}

// checkBuildOptions checks what a build is asked, and returns its build
// arguments by name.
func checkBuildOptions(app string, opts BuildOptions) (map[string]string, error) {
	m := sourcePattern.FindStringSubmatch(opts.Source)
	if m == nil || m[1] != app {
		return nil, rack.Errorf(rack.EINVALID, "source %q is not an upload of app %s: ask for one first (POST /apps/%s/sources)", opts.Source, app, app)
	}
	clean := path.Clean(opts.Manifest)
	if path.IsAbs(opts.Manifest) || clean != opts.Manifest || clean == ".." || strings.HasPrefix(clean, "../") || len(clean) > 1024 {
		return nil, rack.Errorf(rack.EINVALID, "manifest %q is not a clean path inside the source", opts.Manifest)
	}
	if len(opts.Description) > 1024 {
		return nil, rack.Errorf(rack.EINVALID, "description is %d bytes; at most 1024", len(opts.Description))
	}
	args := map[string]string{}
	for _, a := range opts.BuildArgs {
		name, value, ok := strings.Cut(a, "=")
		if !ok {
			return nil, rack.Errorf(rack.EINVALID, "build argument %q is not NAME=VALUE", a)
		}
		if err := rack.ValidateEnvKey(name); err != nil {
			return nil, rack.Errorf(rack.EINVALID, "build argument %q: %s", a, rack.ErrorMessage(err))
		}
		if reservedVariable(name) {
			return nil, rack.Errorf(rack.EINVALID, "build argument %s: the name is the builder's own", name)
		}
		args[name] = value
	}
	return args, nil
}

// reservedVariable tells the names the builder sets itself.
func reservedVariable(name string) bool {
	switch name {
	case events.BuildVariableRack, events.BuildVariableApp, events.BuildVariableBuild:
		return true
	}
	return name == "PATH" || name == "HOME" || strings.HasPrefix(name, "CODEBUILD_") || strings.HasPrefix(name, "AWS_")
}

// readManifest reads the manifest out of an uploaded source.
func (s *Builds) readManifest(ctx context.Context, opts BuildOptions) ([]byte, error) {
	r, err := s.Sources.OpenSource(ctx, opts.Source)
	if rack.IsCode(err, rack.ENOTFOUND) {
		return nil, rack.Errorf(rack.EINVALID, "nothing was uploaded to %s: upload the source first", opts.Source)
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := source.ReadFile(r, opts.Manifest, MaxManifestSize)
	if err != nil {
		for _, bad := range []error{source.ErrNotArchive, source.ErrNotFound, source.ErrTooLarge, source.ErrBadName} {
			if errors.Is(err, bad) {
				return nil, rack.Errorf(rack.EINVALID, "source: %v", err)
			}
		}
		return nil, err
	}
	return data, nil
}

// previousBuild is the app's newest complete build: its images are the
// next build's cache.
func (s *Builds) previousBuild(ctx context.Context, app string) (string, error) {
	bs, _, err := s.store.ListBuilds(ctx, app, rack.Page{Limit: sweptBuilds})
	if err != nil {
		return "", err
	}
	for _, b := range bs {
		if b.Status == rack.BuildComplete {
			return b.ID, nil
		}
	}
	return "", nil
}

// BuildProgress is what a build's state change reports.
type BuildProgress struct {
	Status              rack.BuildStatus
	Reason              string // why it failed
	Logs                string // a link to its logs
	LogGroup, LogStream string
	Started             time.Time
	Ended               time.Time
}

// ApplyBuildProgress moves a build forward to what its builder reports. A
// move the build may not make (a late IN_PROGRESS after SUCCEEDED, a
// replay) is ignored: state only moves forward. A build that completes
// makes its release first, then records it: a crash between the two
// leaves the build running, and the next report finds the release made.
func (s *Builds) ApplyBuildProgress(ctx context.Context, app, id string, p BuildProgress) (rack.Build, error) {
	for attempt := 0; ; attempt++ {
		b, err := s.store.GetBuild(ctx, app, id)
		if err != nil {
			return rack.Build{}, err
		}
		if b.Status == p.Status || !b.Status.CanMoveTo(p.Status) {
			return b, nil
		}
		from := b.Status
		b.Status = p.Status
		b.Reason = cmp.Or(p.Reason, b.Reason)
		b.Logs = cmp.Or(p.Logs, b.Logs)
		b.LogGroup, b.LogStream = cmp.Or(b.LogGroup, p.LogGroup), cmp.Or(b.LogStream, p.LogStream)
		if b.Started.IsZero() {
			b.Started = p.Started
		}
		if !p.Ended.IsZero() {
			b.Ended = p.Ended
		}
		if b.Status.Finished() && b.Ended.IsZero() {
			b.Ended = s.now()
		}
		if b.Status == rack.BuildComplete {
			r, _, err := s.Releaser.ReleaseBuild(ctx, b)
			if err != nil {
				return rack.Build{}, fmt.Errorf("release of build %s: %w", id, err)
			}
			b.Release = r.ID
		}
		written, err := s.store.UpdateBuild(ctx, b, from)
		if err == nil {
			s.log.InfoContext(ctx, "build status", "app", app, "build", id, "from", from, "to", p.Status)
			switch p.Status {
			case rack.BuildComplete:
				s.publish(ctx, events.ActionBuildCreate, events.StatusSuccess, map[string]string{"app": app, "id": id, "release": b.Release})
				if err := s.prune(ctx, app, id); err != nil {
					s.log.ErrorContext(ctx, "old builds not removed", "app", app, "error", err)
				}
			case rack.BuildFailed:
				s.publish(ctx, events.ActionBuildCreate, events.StatusError, map[string]string{"app": app, "id": id, "reason": b.Reason})
			}
			return written, nil
		}
		if !rack.IsCode(err, rack.ECONFLICT) || attempt == 2 {
			return rack.Build{}, err
		}
	}
}

// ReconcileBuilds brings every build in flight up to date with its job:
// the sweep that completes builds whose events were lost (or, where
// nothing emits them, all builds). A build recorded but never started
// fails after a while. One app's failure does not hold the others back.
func (s *Builds) ReconcileBuilds(ctx context.Context) error {
	var errs []error
	inflight := map[string]rack.Build{} // job → build
	page := rack.Page{Limit: rack.MaxPageLimit}
	for {
		apps, next, err := s.store.ListApps(ctx, page)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("reconcile builds: %w", err))...)
		}
		for _, app := range apps {
			bs, _, err := s.store.ListBuilds(ctx, app.Name, rack.Page{Limit: sweptBuilds})
			if err != nil {
				errs = append(errs, fmt.Errorf("builds of app %s: %w", app.Name, err))
				continue
			}
			for _, b := range bs {
				switch {
				case b.Status.Finished():
				case b.Job != "":
					inflight[b.Job] = b
				case s.now().Sub(b.Created) > unstartedGrace:
					_, err := s.ApplyBuildProgress(ctx, b.App, b.ID, BuildProgress{Status: rack.BuildFailed, Reason: "the builder never started the build"})
					errs = append(errs, err)
				}
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	jobs := slices.Sorted(maps.Keys(inflight))
	for chunk := range slices.Chunk(jobs, 100) {
		states, err := s.Builder.Jobs(ctx, chunk)
		if err != nil {
			errs = append(errs, fmt.Errorf("read build jobs: %w", err))
			continue
		}
		for _, st := range states {
			b, ok := inflight[st.ID]
			if !ok || st.Status == rack.BuildCreated {
				continue
			}
			_, err := s.ApplyBuildProgress(ctx, b.App, b.ID, BuildProgress{
				Status: st.Status, Reason: st.Reason, Logs: st.Logs, LogGroup: st.LogGroup, LogStream: st.LogStream,
				Started: st.Started, Ended: st.Ended,
			})
			if err != nil && !rack.IsCode(err, rack.ENOTFOUND) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// prune removes the builds of app beyond its newest Retention, and their
// images. A build in flight, the one the active release runs, and the
// build just completed (its release may be promoted next) stay.
func (s *Builds) prune(ctx context.Context, app, completed string) error {
	keep := map[string]bool{completed: true}
	if a, err := s.store.GetApp(ctx, app); err != nil {
		return err
	} else if a.Release != "" {
		r, err := s.store.GetRelease(ctx, app, a.Release)
		if err != nil && !rack.IsCode(err, rack.ENOTFOUND) {
			return err
		}
		keep[r.Build] = true
	}
	var old []rack.Build
	seen := 0
	page := rack.Page{Limit: rack.MaxPageLimit}
	for {
		bs, next, err := s.store.ListBuilds(ctx, app, page)
		if err != nil {
			return err
		}
		for _, b := range bs {
			if seen++; seen > s.Retention && b.Status.Finished() && !keep[b.ID] {
				old = append(old, b)
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	var errs []error
	for _, b := range old {
		if err := s.Images.DeleteImages(ctx, app, imageTags(b)); err != nil {
			errs = append(errs, fmt.Errorf("images of build %s: %w", b.ID, err))
			continue // the record stays, so the next prune tries again
		}
		if err := s.store.DeleteBuild(ctx, app, b.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		s.log.InfoContext(ctx, "old build removed", "app", app, "build", b.ID)
	}
	return errors.Join(errs...)
}

// imageTags are the tags a build pushed: <service>.<build>, one for each
// service its manifest names. Only the names are read: the manifest is
// kept as written, ${NAME} and all, and was checked when the build began.
func imageTags(b rack.Build) []string {
	var doc struct {
		Services map[string]any `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(b.Manifest), &doc); err != nil {
		return nil
	}
	tags := make([]string, 0, len(doc.Services))
	for _, name := range slices.Sorted(maps.Keys(doc.Services)) {
		tags = append(tags, name+"."+b.ID)
	}
	return tags
}

// BuildLog is a page of a build's output.
type BuildLog struct {
	Events []rack.LogEvent
	Next   string           // where to read on from
	Status rack.BuildStatus // the build's status when the page was read
}

// MaxLogPage bounds the events of one page of a build's output.
const MaxLogPage = 10000

// ReadBuildLog reads a build's output from cursor on. A build whose job
// has not written yet has an empty page.
func (s *Builds) ReadBuildLog(ctx context.Context, app, id, cursor string, limit int) (BuildLog, error) {
	if limit < 0 || limit > MaxLogPage {
		return BuildLog{}, rack.Errorf(rack.EINVALID, "limit must be between 1 and %d", MaxLogPage)
	}
	b, err := s.GetBuild(ctx, app, id)
	if err != nil {
		return BuildLog{}, err
	}
	out := BuildLog{Status: b.Status, Next: cursor, Events: []rack.LogEvent{}}
	if b.LogGroup == "" || b.LogStream == "" {
		return out, nil
	}
	evs, next, err := s.Logs.ReadLog(ctx, b.LogGroup, b.LogStream, cursor, cmp.Or(limit, 1000))
	if err != nil {
		return BuildLog{}, err
	}
	out.Events, out.Next = append(out.Events, evs...), next
	return out, nil
}
