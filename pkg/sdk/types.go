package sdk

import "time"

// The API's JSON. The server encodes these and the client decodes them,
// so the two cannot disagree; openapi.yaml describes the same shapes.

// App is an app as the API shows it.
type App struct {
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	Release    string            `json:"release,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
	Generation string            `json:"generation"`
	Locked     bool              `json:"locked"`
	Router     string            `json:"router,omitempty"`
	// Promoting is the release being deployed, if one is.
	Promoting string    `json:"promoting,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// Build is a build as the API shows it.
type Build struct {
	ID          string     `json:"id"`
	App         string     `json:"app"`
	Description string     `json:"description,omitempty"`
	Status      string     `json:"status"`
	Manifest    string     `json:"manifest,omitempty"`
	Release     string     `json:"release,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Logs        string     `json:"logs,omitempty"`
	Started     *time.Time `json:"started,omitempty"`
	Ended       *time.Time `json:"ended,omitempty"`
	Created     time.Time  `json:"created"`
}

// Release is a release as the API shows it. Env is filled only when one
// release is read, never in lists.
type Release struct {
	ID          string            `json:"id"`
	App         string            `json:"app"`
	Build       string            `json:"build,omitempty"`
	Description string            `json:"description,omitempty"`
	Status      string            `json:"status"`
	Manifest    string            `json:"manifest,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	// Reason says why the release's latest promotion failed.
	Reason  string    `json:"reason,omitempty"`
	Created time.Time `json:"created"`
}

// AppLogEvent is one line of an app's logs.
type AppLogEvent struct {
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"`
	Message string    `json:"message"`
}

// LogPage is one read of an app's logs, and the cursor to read on from.
type LogPage struct {
	Events []AppLogEvent `json:"events"`
	Next   string        `json:"next"`
}

// Process is one of an app's running tasks, as Convox's client reads it.
type Process struct {
	ID       string    `json:"id"`
	App      string    `json:"app"`
	Name     string    `json:"name"`
	Release  string    `json:"release"`
	Status   string    `json:"status"`
	Command  string    `json:"command"`
	Image    string    `json:"image"`
	Host     string    `json:"host"`
	Instance string    `json:"instance"`
	Started  time.Time `json:"started"`
	// ExitCode is its command's, once it has stopped and ECS knows it.
	ExitCode *int `json:"exitCode,omitempty"`
}

// ProcessRunOptions is the body of POST
// /apps/{app}/services/{service}/processes: the command a one-off
// process runs in a shell.
type ProcessRunOptions struct {
	Command string `json:"command"`
}

// Service is one of an app's services, as Convox's client reads it.
type Service struct {
	Name   string        `json:"name"`
	Domain string        `json:"domain"`
	Ports  []ServicePort `json:"ports"`
	Count  int           `json:"count"`
	Cpu    int           `json:"cpu"`
	Memory int           `json:"memory"`
}

// ServicePort is a service's port: the balancer's and the container's.
type ServicePort struct {
	Balancer  int `json:"balancer"`
	Container int `json:"container"`
}

// ServiceUpdateOptions is the body of PUT /apps/{app}/services/{service}:
// what `convox scale` changes; nil fields stay.
type ServiceUpdateOptions struct {
	Count  *int `json:"count,omitempty"`
	Cpu    *int `json:"cpu,omitempty"`
	Memory *int `json:"memory,omitempty"`
}

// ServiceUpdated answers a scale: the release a new size made and
// promoted, "" for a count alone.
type ServiceUpdated struct {
	Release string `json:"release,omitempty"`
}

// Deployment is how the newest ECS deployment of one of an app's services
// stands.
type Deployment struct {
	Service string    `json:"service"`
	State   string    `json:"state"` // IN_PROGRESS, COMPLETED or FAILED
	Reason  string    `json:"reason,omitempty"`
	Desired int       `json:"desired"`
	Running int       `json:"running"`
	Pending int       `json:"pending"`
	Failed  int       `json:"failed"`
	Updated time.Time `json:"updated"`
}

// StackEvent is one event of a promotion's stack update.
type StackEvent struct {
	Time     time.Time `json:"time"`
	Resource string    `json:"resource"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Reason   string    `json:"reason,omitempty"`
}

// System describes the rack.
type System struct {
	Name       string            `json:"name"`
	Provider   string            `json:"provider"`
	Region     string            `json:"region"`
	Status     string            `json:"status"`
	Version    string            `json:"version"`
	Type       string            `json:"type,omitempty"`
	Count      int               `json:"count"`
	Domain     string            `json:"domain,omitempty"`
	Outputs    map[string]string `json:"outputs,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
	// StackStatus is CloudFormation's word for the rack stack's state
	// (UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, ...), which Status
	// summarises, and StatusReason its reason: a client waiting for an
	// update tells success from a rollback by them.
	StackStatus  string `json:"stackStatus,omitempty"`
	StatusReason string `json:"statusReason,omitempty"`
}

// SystemUpdateOptions is the body of PUT /system: new values of some of the
// rack's parameters, a version to move to, or both.
type SystemUpdateOptions struct {
	Parameters map[string]string `json:"parameters,omitempty"`
	Version    string            `json:"version,omitempty"`
}

// SystemUpdateResult is the answer of PUT /system: what the update started
// changes, as CloudFormation previews it; empty when nothing changes.
type SystemUpdateResult struct {
	Changes []StackChange `json:"changes"`
}

// StackChange is one resource of the rack stack an update adds, modifies
// or removes.
type StackChange struct {
	Action      string `json:"action"`                // Add, Modify, Remove
	LogicalID   string `json:"logicalId"`             // the resource in the template
	Type        string `json:"type"`                  // AWS::Lambda::Function, ...
	Replacement string `json:"replacement,omitempty"` // for a Modify: True, False or Conditional
}

// Health is the answer of the health check.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
}

// Auth is the answer of a successful credentials check.
type Auth struct {
	User string `json:"user"`
}

// AppCreateOptions is the body of POST /apps.
type AppCreateOptions struct {
	Name string `json:"name"`
}

// ReleaseCreateOptions is the body of POST /apps/{app}/releases: the new
// release's build and/or whole environment. A nil Env keeps the latest
// release's; an empty one clears it.
type ReleaseCreateOptions struct {
	Build       *string            `json:"build,omitempty"`
	Env         *map[string]string `json:"env,omitempty"`
	Description string             `json:"description,omitempty"`
	// Parent, when set, is the release the change was made from (the
	// ReleaseHeader of the environment read; "" for none): if the app has
	// a newer release, the answer is 409, and the client reads again.
	Parent *string `json:"parent,omitempty"`
}

// ReleaseHeader carries, on GET /apps/{app}/environment, the id of the
// release the environment is from ("" before the first).
const ReleaseHeader = "X-Release"

// SourceUpload is the answer of POST /apps/{app}/sources: where to PUT a
// source (a gzip'd tar of the app's directory), without other
// credentials, until Expires; then build from Source.
type SourceUpload struct {
	URL     string    `json:"url"`
	Source  string    `json:"source"`
	Expires time.Time `json:"expires"`
}

// BuildCreateOptions is the body of POST /apps/{app}/builds.
type BuildCreateOptions struct {
	Source      string   `json:"source"`                // what POST /apps/{app}/sources returned, uploaded
	Manifest    string   `json:"manifest,omitempty"`    // the manifest's path in the source; convox.yml
	Description string   `json:"description,omitempty"` // what the build is
	NoCache     bool     `json:"noCache,omitempty"`     // build every image from scratch
	BuildArgs   []string `json:"buildArgs,omitempty"`   // NAME=VALUE, for the Dockerfiles' ARGs
}

// BuildLog is a page of a build's output: GET
// /apps/{app}/builds/{id}/logs?cursor=. Read on from Next; the build's
// output is all there once Status is complete or failed and a page
// comes back empty.
type BuildLog struct {
	Events []LogEvent `json:"events"`
	Next   string     `json:"next"`
	Status string     `json:"status"`
}

// LogEvent is one line of output.
type LogEvent struct {
	Timestamp time.Time `json:"timestamp"`
	Message   string    `json:"message"`
}

// NextCursorHeader carries a list's next page cursor; absent after the
// last page. Lists take ?limit= and ?cursor=.
const NextCursorHeader = "X-Next-Cursor"
