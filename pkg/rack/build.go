package rack

import "time"

// BuildStatus follows the CodeBuild build.
type BuildStatus string

const (
	BuildCreated  BuildStatus = "created"
	BuildRunning  BuildStatus = "running"
	BuildComplete BuildStatus = "complete"
	BuildFailed   BuildStatus = "failed"
)

var buildMoves = moves[BuildStatus]{
	// created may jump to complete or failed: the running event can arrive
	// after the final one, or never.
	BuildCreated: {BuildRunning, BuildComplete, BuildFailed},
	BuildRunning: {BuildComplete, BuildFailed},
}

// Valid reports whether s is a known build status.
func (s BuildStatus) Valid() bool { return buildMoves.valid(s) }

// CanMoveTo reports whether a build may go from s to next.
func (s BuildStatus) CanMoveTo(next BuildStatus) bool { return buildMoves.allow(s, next) }

// Build turns an app's source into images and a manifest.
type Build struct {
	ID          string
	App         string
	Description string
	Status      BuildStatus
	Manifest    string // convox.yml as built
	Release     string // the release the build produced, once complete
	Reason      string // why it failed
	Logs        string // where its logs are
	Started     time.Time
	Ended       time.Time
	Version     int64
	Created     time.Time
	Updated     time.Time
}
