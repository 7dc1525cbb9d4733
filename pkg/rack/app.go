package rack

import (
	"regexp"
	"sync"
	"time"
)

// AppStatus follows the app's CloudFormation stack.
type AppStatus string

const (
	AppCreating AppStatus = "creating"
	AppRunning  AppStatus = "running"
	AppUpdating AppStatus = "updating"
	AppDeleting AppStatus = "deleting"
	AppFailed   AppStatus = "failed"
)

var appMoves = moves[AppStatus]{
	AppCreating: {AppRunning, AppFailed, AppDeleting},
	AppRunning:  {AppUpdating, AppDeleting, AppFailed},
	AppUpdating: {AppRunning, AppFailed},
	// A failed app can be retried (updated), deleted, or found running again
	// by a reconcile after a rollback completed.
	AppFailed:   {AppUpdating, AppDeleting, AppRunning},
	AppDeleting: {AppFailed},
}

// Valid reports whether s is a known app status.
func (s AppStatus) Valid() bool { return appMoves.valid(s) }

// CanMoveTo reports whether an app may go from s to next.
func (s AppStatus) CanMoveTo(next AppStatus) bool { return appMoves.allow(s, next) }

// App is a deployable application: one CloudFormation stack of its own.
type App struct {
	Name    string
	Status  AppStatus
	Release string // the active release, "" until the first promotion
	// Latest is the app's newest release, which the next is made from;
	// only the store sets it, as it records a release.
	Latest     string
	Parameters map[string]string
	Locked     bool // termination protection: a locked app cannot be deleted
	// Promotion is the promotion under way, if any: at most one at a
	// time, claimed and freed by conditional writes of the app.
	Promotion Promotion
	// Router is the host name of the balancer in front of the app's
	// services, as of its active release; "" when none has a port.
	Router string
	// Scale is what `convox scale` set, by service: it overrides the
	// manifest's, in every promotion after.
	Scale   map[string]ServiceScale
	Version int64 // incremented by every write; guards optimistic updates
	Created time.Time
	Updated time.Time
}

// Promotion is an app's promotion under way: a release its stack is being
// updated to. The zero Promotion is none.
type Promotion struct {
	Release string
	// Submitted tells that the stack update was asked for; until then the
	// promotion waits (for the rack's router, say) or was cut short.
	Submitted bool
	Started   time.Time
	// Router is the host name of the balancer the release's services sit
	// behind, known once it is submitted; the app's once it is active.
	Router string
}

// Active reports whether a promotion is under way.
func (p Promotion) Active() bool { return p.Release != "" }

// ServiceScale is what `convox scale` set of a service; zero fields were
// not set, and the manifest's hold.
type ServiceScale struct {
	Count  *int // desired tasks; may be 0
	CPU    int  // CPU units
	Memory int  // MiB
}

// AppGeneration is the generation of every Rack app, in Convox's terms: one
// described by a convox.yml (Convox's generation 1 apps used
// docker-compose.yml and are not supported).
const AppGeneration = "2"

// MaxAppNameLength keeps stack, repository and log group names derived from
// an app name within AWS limits.
const MaxAppNameLength = 30

var appNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`) })

// ValidateAppName checks that name is lowercase and DNS-safe: a letter, then
// letters, digits and hyphens, not ending in a hyphen, at most 30 characters.
func ValidateAppName(name string) error {
	switch {
	case name == "":
		return Errorf(EINVALID, "app name is required")
	case len(name) > MaxAppNameLength:
		return Errorf(EINVALID, "app name %q is longer than %d characters", name, MaxAppNameLength)
	case !appNamePattern().MatchString(name):
		return Errorf(EINVALID, "app name %q must start with a lowercase letter and contain only lowercase letters, digits and hyphens, not ending in a hyphen", name)
	}
	return nil
}
