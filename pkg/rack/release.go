package rack

import (
	"cmp"
	"time"
)

// ReleaseStatus tells where a release is in its promotions. Promoting an old
// release is how Convox rolls back, so a superseded or failed release may be
// promoted again.
type ReleaseStatus string

const (
	ReleaseCreated    ReleaseStatus = "created"
	ReleasePromoting  ReleaseStatus = "promoting"
	ReleaseActive     ReleaseStatus = "active"
	ReleaseFailed     ReleaseStatus = "failed"
	ReleaseSuperseded ReleaseStatus = "superseded"
)

var releaseMoves = moves[ReleaseStatus]{
	ReleaseCreated:    {ReleasePromoting},
	ReleasePromoting:  {ReleaseActive, ReleaseFailed},
	ReleaseActive:     {ReleaseSuperseded},
	ReleaseFailed:     {ReleasePromoting},
	ReleaseSuperseded: {ReleasePromoting},
}

// Valid reports whether s is a known release status.
func (s ReleaseStatus) Valid() bool { return releaseMoves.valid(s) }

// CanMoveTo reports whether a release may go from s to next.
func (s ReleaseStatus) CanMoveTo(next ReleaseStatus) bool { return releaseMoves.allow(s, next) }

// StaleParent is the error of a release made from parent when the app's
// latest release is latest: the app changed since it was read.
func StaleParent(app, parent, latest string) *Error {
	return Errorf(ECONFLICT, "app %s has changed since it was read: its latest release is %s, not %s; read it again",
		app, cmp.Or(latest, "none"), cmp.Or(parent, "none"))
}

// Release is a build plus an environment: what a promotion deploys.
type Release struct {
	ID    string
	App   string
	Build string
	// Parent is the release this one was made from: the app's latest when
	// it was made, "" for an app's first.
	Parent      string
	Description string
	Status      ReleaseStatus
	Manifest    string
	// Env is the release's environment sealed by the environment service;
	// the store keeps these bytes as given and never sees clear text.
	Env []byte
	// Token names the release's latest promotion: the client request
	// token of its stack update, on every stack event the update makes.
	Token string
	// Reason says why its latest promotion failed.
	Reason  string
	Version int64
	Created time.Time
	Updated time.Time
}
