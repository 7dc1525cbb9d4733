package rack

import (
	"strings"
	"time"
)

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

// Finished reports whether a build has ended, well or not.
func (s BuildStatus) Finished() bool { return s == BuildComplete || s == BuildFailed }

// Build turns an app's source into images and a manifest.
type Build struct {
	ID          string
	App         string
	Description string
	Status      BuildStatus
	Manifest    string // convox.yml as built
	Release     string // the release the build produced, once complete
	Reason      string // why it failed, with the failing phase
	Logs        string // a link to its logs in the AWS console
	Job         string // the CodeBuild build that runs it, once started
	LogGroup    string // the CloudWatch Logs group and stream of its output
	LogStream   string
	Started     time.Time
	Ended       time.Time
	Version     int64
	Created     time.Time
	Updated     time.Time
}

// builderStatuses are the statuses of the builder's jobs (CodeBuild's),
// as build statuses.
var builderStatuses = map[string]BuildStatus{
	"IN_PROGRESS": BuildRunning,
	"SUCCEEDED":   BuildComplete,
	"FAILED":      BuildFailed,
	"FAULT":       BuildFailed,
	"STOPPED":     BuildFailed,
	"TIMED_OUT":   BuildFailed,
}

// BuilderStatus is the build status of a builder job's status; false for
// a status it does not know.
func BuilderStatus(status string) (BuildStatus, bool) {
	s, ok := builderStatuses[status]
	return s, ok
}

// BuilderPhase is one phase of a builder's job: its type (BUILD,
// POST_BUILD, ...), status and what it said.
type BuilderPhase struct {
	Type, Status string
	Context      []string
}

// BuilderFailure says why a builder's job failed: its failed phase and
// what that phase said ("BUILD: COMMAND_EXECUTION_ERROR: Error while
// executing command: docker build ... Reason: exit status 1"), or its
// status.
func BuilderFailure(status string, phases []BuilderPhase) string {
	for _, p := range phases {
		if p.Status != "FAILED" && p.Status != "FAULT" && p.Status != "TIMED_OUT" && p.Status != "STOPPED" {
			continue
		}
		var parts []string
		for _, c := range p.Context {
			if text := strings.TrimSpace(strings.Trim(c, ": ")); text != "" {
				parts = append(parts, text)
			}
		}
		if len(parts) > 0 {
			return p.Type + ": " + strings.Join(parts, "; ")
		}
		return p.Type + " " + strings.ToLower(p.Status)
	}
	return "build " + strings.ToLower(status)
}

// BuildJob is one run of the builder (the rack's CodeBuild project) for
// a build.
type BuildJob struct {
	App, Build string
	Buildspec  []byte
	// Variables reach the job's environment: the build's identity, and the
	// values of its build arguments.
	Variables map[string]string
}

// JobState is what the builder says of a job.
type JobState struct {
	ID                  string
	Status              BuildStatus
	Reason              string // the failing phase and why
	Logs                string // a link to its logs
	LogGroup, LogStream string
	Started, Ended      time.Time
}
