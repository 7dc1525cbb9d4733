// Package fake has in-memory stand-ins, with behaviour, for the rack's
// outside systems, for tests of the layers above them: CloudFormation app
// stacks, the rack's own stack, a sealer and an authenticator.
package fake

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/service"
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

// RackStack is the rack's own stack in memory: parameters, a status a test
// moves with Settle and RollBack, and version templates a test uploads.
// Like CloudFormation it executes a change only from a settled stack,
// returns no changes when nothing differs, and makes one change of a
// retried update.
type RackStack struct {
	mu        sync.Mutex
	name      string
	exists    bool
	status    string
	reason    string
	revision  int
	params    map[string]string
	previous  map[string]string
	noEcho    map[string]bool
	templates map[string]rack.RackTemplate
	done      map[string][]rack.StackChange
	// Updates are the changes executed, in order.
	Updates []rack.RackStackUpdate
	// Preview is what every executed change reports; by default the api
	// function's code changes.
	Preview []rack.StackChange
}

var _ service.RackStack = (*RackStack)(nil)

// NewRackStack returns the stack of rack name, created, with params; those
// named in noEcho read back masked, as CloudFormation masks NoEcho values.
func NewRackStack(name string, params map[string]string, noEcho ...string) *RackStack {
	f := &RackStack{
		name: name, exists: true, status: "CREATE_COMPLETE", revision: 1, params: maps.Clone(params),
		noEcho: map[string]bool{}, templates: map[string]rack.RackTemplate{}, done: map[string][]rack.StackChange{},
		Preview: []rack.StackChange{{Action: "Modify", LogicalID: "Api", Type: "AWS::Lambda::Function", Replacement: "False"}},
	}
	for _, n := range noEcho {
		f.noEcho[n] = true
	}
	return f
}

func (f *RackStack) id() string {
	return "arn:aws:cloudformation:us-east-1:123456789012:stack/" + f.name + "/1"
}

// RackStack reads the stack, or ENOTFOUND.
func (f *RackStack) RackStack(context.Context) (rack.RackStack, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists {
		return rack.RackStack{}, rack.Errorf(rack.ENOTFOUND, "rack %s has no stack", f.name)
	}
	params := map[string]string{}
	for k, v := range f.params {
		if f.noEcho[k] {
			v = "****"
		}
		params[k] = v
	}
	return rack.RackStack{
		ID: f.id(), Status: f.status, Reason: f.reason, Revision: strconv.Itoa(f.revision),
		Parameters: params, Outputs: map[string]string{"ApiUrl": "https://api.example.org"},
	}, nil
}

// Upload puts the template of version for arch where RackTemplate finds
// it, with params as its parameters' defaults, and the code's place as
// the installer writes it.
func (f *RackStack) Upload(version, arch string, params map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defaults := maps.Clone(params)
	if defaults == nil {
		defaults = map[string]string{}
	}
	defaults["CodeBucket"] = "rack-artifacts-123456789012-us-east-1"
	defaults["CodePrefix"] = "versions/" + version + "/" + arch + "/0123456789abcdef/"
	f.templates[version+"/"+arch] = rack.RackTemplate{URL: "https://s3.us-east-1.amazonaws.com/rack-artifacts-123456789012-us-east-1/versions/" + version + "/" + arch + "/rack.json", Parameters: defaults}
}

// RackTemplate returns an uploaded template, or ENOTFOUND.
func (f *RackStack) RackTemplate(_ context.Context, stackID, version, arch string) (rack.RackTemplate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if stackID != f.id() {
		return rack.RackTemplate{}, rack.Errorf(rack.EINVALID, "no stack %s", stackID)
	}
	t, ok := f.templates[version+"/"+arch]
	if !ok {
		return rack.RackTemplate{}, rack.Errorf(rack.ENOTFOUND, "version %s (%s) has not been uploaded", version, arch)
	}
	return t, nil
}

// ChangeRackStack applies u and moves the stack to UPDATE_IN_PROGRESS,
// unless nothing changes.
func (f *RackStack) ChangeRackStack(_ context.Context, u rack.RackStackUpdate) ([]rack.StackChange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := fmt.Sprintf("%v", u)
	if changes, ok := f.done[key]; ok {
		return changes, nil
	}
	switch {
	case !f.exists || u.StackID != f.id():
		return nil, rack.Errorf(rack.ENOTFOUND, "no stack %s", u.StackID)
	case strings.HasSuffix(f.status, "_IN_PROGRESS"):
		return nil, rack.Errorf(rack.ECONFLICT, "rack %s is %s", f.name, f.status)
	}
	next := map[string]string{}
	for _, k := range u.Keep {
		v, ok := f.params[k]
		if !ok {
			return nil, rack.Errorf(rack.EINVALID, "cannot keep %s: the stack has no such parameter", k)
		}
		next[k] = v
	}
	for k, v := range u.Values {
		next[k] = v
	}
	if u.TemplateURL == "" && maps.Equal(next, f.params) {
		f.done[key] = []rack.StackChange{}
		return []rack.StackChange{}, nil
	}
	f.previous, f.params = f.params, next
	f.status, f.reason = "UPDATE_IN_PROGRESS", "User Initiated"
	f.revision++
	f.Updates = append(f.Updates, u)
	changes := slices.Clone(f.Preview)
	f.done[key] = changes
	return changes, nil
}

// Settle finishes the change under way.
func (f *RackStack) Settle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status == "UPDATE_IN_PROGRESS" {
		f.status, f.reason = "UPDATE_COMPLETE", ""
		f.revision++
	}
}

// RollBack undoes the change under way, for reason.
func (f *RackStack) RollBack(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status == "UPDATE_IN_PROGRESS" {
		f.params, f.status, f.reason = f.previous, "UPDATE_ROLLBACK_COMPLETE", reason
		f.revision++
	}
}

// SetStatus puts the stack in a status, with a reason.
func (f *RackStack) SetStatus(status, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.reason = status, reason
}

// Remove makes the stack absent, as before an install or for a local API.
func (f *RackStack) Remove() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exists = false
}

// Parameters returns the stack's parameters, unmasked.
func (f *RackStack) Parameters() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.params)
}
