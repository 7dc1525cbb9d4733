// Package sdk is the Go client of the rack API, the one the convox CLI
// uses: a method per route, and error statuses mapped back to the coded
// errors of pkg/rack so callers branch on rack.ErrorCode as the server does.
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rackhq/rack/pkg/rack"
)

// Client talks to one rack.
type Client struct {
	base      *url.URL
	password  string
	version   string
	userAgent string
	http      *http.Client
}

// Option changes a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (timeouts, transport).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithVersion sets the client version sent in the Version and User-Agent
// headers.
func WithVersion(v string) Option { return func(c *Client) { c.version = v } }

// New returns a client of the rack at host: "rack.example.org" (HTTPS is
// assumed, as Convox does) or a URL with its scheme, such as
// "http://127.0.0.1:5443" for a local API.
func New(host, password string, opts ...Option) (*Client, error) {
	if host == "" {
		return nil, rack.Errorf(rack.EINVALID, "no rack host given")
	}
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, rack.Errorf(rack.EINVALID, "invalid rack host %q", host)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{base: u, password: password, version: "dev", http: &http.Client{Timeout: 60 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	c.userAgent = "convox/" + c.version
	return c, nil
}

// do sends a request and decodes a JSON answer into out (unless nil). It
// returns the answer's headers.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (http.Header, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Version", c.version)
	req.Header.Set("User-Agent", c.userAgent)
	req.SetBasicAuth("convox", c.password)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if res.StatusCode >= 300 {
		return nil, responseError(res.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return res.Header, nil
}

// responseError turns an error answer back into a coded error.
func responseError(status int, body []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	msg := http.StatusText(status)
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	return rack.Errorf(rack.CodeOfHTTPStatus(status), "%s", msg)
}

func pageQuery(p rack.Page) url.Values {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// list reads one page of a list route.
func list[T any](ctx context.Context, c *Client, path string, p rack.Page) ([]T, string, error) {
	var out []T
	h, err := c.do(ctx, http.MethodGet, path, pageQuery(p), nil, &out)
	if err != nil {
		return nil, "", err
	}
	return out, h.Get(NextCursorHeader), nil
}

// all reads every page of a list route.
func all[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var out []T
	p := rack.Page{Limit: rack.MaxPageLimit}
	for {
		items, next, err := list[T](ctx, c, path, p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		p.Cursor = next
	}
}

func esc(s string) string { return url.PathEscape(s) }

// Health calls the unauthenticated health check.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	_, err := c.do(ctx, http.MethodGet, "/health", nil, nil, &h)
	return h, err
}

// Auth checks the client's credentials.
func (c *Client) Auth(ctx context.Context) (Auth, error) {
	var a Auth
	_, err := c.do(ctx, http.MethodGet, "/auth", nil, nil, &a)
	return a, err
}

// System describes the rack.
func (c *Client) System(ctx context.Context) (System, error) {
	var s System
	_, err := c.do(ctx, http.MethodGet, "/system", nil, nil, &s)
	return s, err
}

// SystemUpdate starts an update of the rack: new parameter values, a new
// version, or both. It returns once the update has started (or when there
// is nothing to change, with no changes); System tells when it is done.
func (c *Client) SystemUpdate(ctx context.Context, o SystemUpdateOptions) (SystemUpdateResult, error) {
	var r SystemUpdateResult
	_, err := c.do(ctx, http.MethodPut, "/system", nil, o, &r)
	return r, err
}

// AppList lists every app.
func (c *Client) AppList(ctx context.Context) ([]App, error) { return all[App](ctx, c, "/apps") }

// AppListPage lists one page of apps.
func (c *Client) AppListPage(ctx context.Context, p rack.Page) ([]App, string, error) {
	return list[App](ctx, c, "/apps", p)
}

// AppCreate creates an app.
func (c *Client) AppCreate(ctx context.Context, name string) (App, error) {
	var a App
	_, err := c.do(ctx, http.MethodPost, "/apps", nil, AppCreateOptions{Name: name}, &a)
	return a, err
}

// AppGet reads an app.
func (c *Client) AppGet(ctx context.Context, name string) (App, error) {
	var a App
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(name), nil, nil, &a)
	return a, err
}

// AppDelete starts deleting an app.
func (c *Client) AppDelete(ctx context.Context, name string) (App, error) {
	var a App
	_, err := c.do(ctx, http.MethodDelete, "/apps/"+esc(name), nil, nil, &a)
	return a, err
}

// BuildList lists every build of an app, newest first.
func (c *Client) BuildList(ctx context.Context, app string) ([]Build, error) {
	return all[Build](ctx, c, "/apps/"+esc(app)+"/builds")
}

// BuildListPage lists one page of an app's builds.
func (c *Client) BuildListPage(ctx context.Context, app string, p rack.Page) ([]Build, string, error) {
	return list[Build](ctx, c, "/apps/"+esc(app)+"/builds", p)
}

// BuildGet reads a build.
func (c *Client) BuildGet(ctx context.Context, app, id string) (Build, error) {
	var b Build
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/builds/"+esc(id), nil, nil, &b)
	return b, err
}

// SourceUploadCreate asks where to upload a source of app.
func (c *Client) SourceUploadCreate(ctx context.Context, app string) (SourceUpload, error) {
	var u SourceUpload
	_, err := c.do(ctx, http.MethodPost, "/apps/"+esc(app)+"/sources", nil, struct{}{}, &u)
	return u, err
}

// BuildCreate starts a build of an uploaded source.
func (c *Client) BuildCreate(ctx context.Context, app string, opts BuildCreateOptions) (Build, error) {
	var b Build
	_, err := c.do(ctx, http.MethodPost, "/apps/"+esc(app)+"/builds", nil, opts, &b)
	return b, err
}

// BuildLogs reads a page of a build's output from cursor ("" for the
// start).
func (c *Client) BuildLogs(ctx context.Context, app, id, cursor string) (BuildLog, error) {
	var l BuildLog
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/builds/"+esc(id)+"/logs", q, nil, &l)
	return l, err
}

// EnvironmentGet reads an app's environment (its latest release's).
func (c *Client) EnvironmentGet(ctx context.Context, app string) (map[string]string, error) {
	env, _, err := c.EnvironmentRelease(ctx, app)
	return env, err
}

// EnvironmentRelease reads an app's environment and the id of the release
// it is from ("" before the first), the parent of a release made from it.
func (c *Client) EnvironmentRelease(ctx context.Context, app string) (map[string]string, string, error) {
	env := map[string]string{}
	h, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/environment", nil, nil, &env)
	if err != nil {
		return nil, "", err
	}
	return env, h.Get(ReleaseHeader), nil
}

// ReleaseList lists every release of an app, newest first.
func (c *Client) ReleaseList(ctx context.Context, app string) ([]Release, error) {
	return all[Release](ctx, c, "/apps/"+esc(app)+"/releases")
}

// ReleaseListPage lists one page of an app's releases.
func (c *Client) ReleaseListPage(ctx context.Context, app string, p rack.Page) ([]Release, string, error) {
	return list[Release](ctx, c, "/apps/"+esc(app)+"/releases", p)
}

// ReleaseGet reads a release, with its environment.
func (c *Client) ReleaseGet(ctx context.Context, app, id string) (Release, error) {
	var r Release
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/releases/"+esc(id), nil, nil, &r)
	return r, err
}

// ReleaseCreate makes a new release from the app's latest one.
func (c *Client) ReleaseCreate(ctx context.Context, app string, opts ReleaseCreateOptions) (Release, error) {
	var r Release
	_, err := c.do(ctx, http.MethodPost, "/apps/"+esc(app)+"/releases", nil, opts, &r)
	return r, err
}

// ReleasePromote starts deploying a release; it returns the release as it
// then stands (promoting, or active when there was nothing to do).
func (c *Client) ReleasePromote(ctx context.Context, app, id string) (Release, error) {
	var r Release
	_, err := c.do(ctx, http.MethodPost, "/apps/"+esc(app)+"/releases/"+esc(id)+"/promote", nil, nil, &r)
	return r, err
}

// ReleaseEvents lists the stack events of a release's latest promotion,
// oldest first.
func (c *Client) ReleaseEvents(ctx context.Context, app, id string) ([]StackEvent, error) {
	evs := []StackEvent{}
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/releases/"+esc(id)+"/events", nil, nil, &evs)
	return evs, err
}

// AppDeployments tells how the newest ECS deployment of each of an app's
// services stands.
func (c *Client) AppDeployments(ctx context.Context, app string) ([]Deployment, error) {
	ds := []Deployment{}
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/deployments", nil, nil, &ds)
	return ds, err
}

// ServiceList lists the services of an app's active release.
func (c *Client) ServiceList(ctx context.Context, app string) ([]Service, error) {
	ss := []Service{}
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/services", nil, nil, &ss)
	return ss, err
}

// ServiceUpdate scales a service: its count at once, its cpu or memory
// by a new release, promoted (whose id it returns).
func (c *Client) ServiceUpdate(ctx context.Context, app, service string, opts ServiceUpdateOptions) (string, error) {
	var out ServiceUpdated
	_, err := c.do(ctx, http.MethodPut, "/apps/"+esc(app)+"/services/"+esc(service), nil, opts, &out)
	return out.Release, err
}

// ServiceRestart replaces a service's tasks with new ones.
func (c *Client) ServiceRestart(ctx context.Context, app, service string) error {
	_, err := c.do(ctx, http.MethodPost, "/apps/"+esc(app)+"/services/"+esc(service)+"/restart", nil, nil, nil)
	return err
}

// ProcessList lists an app's processes, of one service or release when
// given.
func (c *Client) ProcessList(ctx context.Context, app, service, release string) ([]Process, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	if release != "" {
		q.Set("release", release)
	}
	ps := []Process{}
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/processes", q, nil, &ps)
	return ps, err
}

// ProcessGet reads one of an app's processes.
func (c *Client) ProcessGet(ctx context.Context, app, id string) (Process, error) {
	var p Process
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/processes/"+esc(id), nil, nil, &p)
	return p, err
}

// ProcessStop stops one of an app's processes.
func (c *Client) ProcessStop(ctx context.Context, app, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/apps/"+esc(app)+"/processes/"+esc(id), nil, nil, nil)
	return err
}

// ProcessRun starts a one-off process of a service, running command.
func (c *Client) ProcessRun(ctx context.Context, app, service, command string) (Process, error) {
	var p Process
	_, err := c.do(ctx, http.MethodPost, "/apps/"+esc(app)+"/services/"+esc(service)+"/processes", nil, ProcessRunOptions{Command: command}, &p)
	return p, err
}

// AppLogsOptions ask for an app's logs.
type AppLogsOptions struct {
	Cursor           string        // the Next of the previous read; "" for the first
	Since            time.Duration // how far back the first read goes
	Filter           string
	Follow           bool // the rack waits a while for new events
	Service, Process string
}

// AppLogs reads an app's logs.
func (c *Client) AppLogs(ctx context.Context, app string, o AppLogsOptions) (LogPage, error) {
	q := url.Values{"since": {o.Since.String()}, "follow": {strconv.FormatBool(o.Follow)}}
	for k, v := range map[string]string{"cursor": o.Cursor, "filter": o.Filter, "service": o.Service, "process": o.Process} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var p LogPage
	_, err := c.do(ctx, http.MethodGet, "/apps/"+esc(app)+"/logs", q, nil, &p)
	return p, err
}

// RackLogs reads the logs of the rack's own functions, as AppLogs reads an
// app's (Service and Process do not apply).
func (c *Client) RackLogs(ctx context.Context, o AppLogsOptions) (LogPage, error) {
	q := url.Values{"since": {o.Since.String()}, "follow": {strconv.FormatBool(o.Follow)}}
	for k, v := range map[string]string{"cursor": o.Cursor, "filter": o.Filter} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var p LogPage
	_, err := c.do(ctx, http.MethodGet, "/system/logs", q, nil, &p)
	return p, err
}

// AppCancel cancels an app's deployment under way.
func (c *Client) AppCancel(ctx context.Context, app string) error {
	_, err := c.do(ctx, http.MethodPost, "/apps/"+esc(app)+"/cancel", nil, nil, nil)
	return err
}

// Get reads any API path as raw JSON, for `convox api get`.
func (c *Client) Get(ctx context.Context, path string) (json.RawMessage, error) {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(path)
	if err != nil {
		return nil, rack.Errorf(rack.EINVALID, "invalid path %q", path)
	}
	var raw json.RawMessage
	_, err = c.do(ctx, http.MethodGet, u.Path, u.Query(), nil, &raw)
	return raw, err
}
