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
	Created    time.Time         `json:"created"`
	Updated    time.Time         `json:"updated"`
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
	Created     time.Time         `json:"created"`
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
}

// NextCursorHeader carries a list's next page cursor; absent after the
// last page. Lists take ?limit= and ?cursor=.
const NextCursorHeader = "X-Next-Cursor"
