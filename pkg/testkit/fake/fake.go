// Package fake has in-memory stand-ins, with behaviour, for the rack's
// outside systems, for tests of the layers above them: CloudFormation app
// stacks, a sealer and an authenticator.
package fake

import (
	"context"
	"sync"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// Stacks is CloudFormation in memory: one stack per app, created in
// creating, whose status a test moves with Set. A stack made Foreign is
// someone else's, which the rack must leave alone.
type Stacks struct {
	mu      sync.Mutex
	status  map[string]rack.AppStatus
	foreign map[string]bool
	// CreateErr, when set, fails every CreateAppStack.
	CreateErr error
	// Reads counts AppStackStatus calls.
	Reads int
}

// NewStacks returns Stacks with none.
func NewStacks() *Stacks {
	return &Stacks{status: map[string]rack.AppStatus{}, foreign: map[string]bool{}}
}

// CreateAppStack creates app's stack unless it exists.
func (f *Stacks) CreateAppStack(_ context.Context, app string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.CreateErr != nil {
		return f.CreateErr
	}
	if f.foreign[app] {
		return f.conflict(app)
	}
	if _, ok := f.status[app]; !ok {
		f.status[app] = rack.AppCreating
	}
	return nil
}

// AppStackStatus tells app's stack status, or ENOTFOUND.
func (f *Stacks) AppStackStatus(_ context.Context, app string) (rack.AppStatus, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Reads++
	if f.foreign[app] {
		return "", "", f.conflict(app)
	}
	s, ok := f.status[app]
	if !ok {
		return "", "", rack.Errorf(rack.ENOTFOUND, "stack of app %s not found", app)
	}
	return s, "", nil
}

// DeleteAppStack starts deleting app's stack, if there is one.
func (f *Stacks) DeleteAppStack(_ context.Context, app string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.foreign[app] {
		return f.conflict(app)
	}
	if _, ok := f.status[app]; ok {
		f.status[app] = rack.AppDeleting
	}
	return nil
}

// Foreign puts a stack the rack did not make under app's stack name, in
// place of the rack's own if it had one.
func (f *Stacks) Foreign(app string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.status, app)
	f.foreign[app] = true
}

// HasForeign reports whether the foreign stack under app's name is still
// there.
func (f *Stacks) HasForeign(app string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.foreign[app]
}

func (f *Stacks) conflict(app string) error {
	return rack.Errorf(rack.ECONFLICT, "the stack of app %s was not made by the rack", app)
}

// Set moves app's stack to s; "" removes it, as a finished delete does.
func (f *Stacks) Set(app string, s rack.AppStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s == "" {
		delete(f.status, app)
		return
	}
	f.status[app] = s
}

// Settle finishes every change under way: creating and updating stacks
// become running, deleting ones disappear.
func (f *Stacks) Settle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for app, s := range f.status {
		switch s {
		case rack.AppCreating, rack.AppUpdating:
			f.status[app] = rack.AppRunning
		case rack.AppDeleting:
			delete(f.status, app)
		}
	}
}

// Sealer "encrypts" by flipping bits: reversible, and enough to show that
// clear text never reaches the store.
type Sealer struct{}

// Seal flips p's bits.
func (Sealer) Seal(_ context.Context, p []byte) ([]byte, error) { return flip(p), nil }

// Open flips them back.
func (Sealer) Open(_ context.Context, s []byte) ([]byte, error) { return flip(s), nil }

func flip(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

// Auth accepts the user convox with Password.
type Auth struct{ Password string }

// Verify checks user and password.
func (a Auth) Verify(_ context.Context, _, user, password string) error {
	if user != "convox" || password != a.Password || a.Password == "" {
		return rack.Errorf(rack.EUNAUTHORIZED, "invalid credentials")
	}
	return nil
}

// Events records the rack events published.
type Events struct {
	mu   sync.Mutex
	list []events.RackEvent
}

// Publish records ev.
func (e *Events) Publish(_ context.Context, ev events.RackEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
	return nil
}

// Actions returns "action status" of each event published, in order.
func (e *Events) Actions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.list))
	for _, ev := range e.list {
		out = append(out, ev.Action+" "+ev.Status)
	}
	return out
}
