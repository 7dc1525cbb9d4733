// Package service holds the rack's use cases: one small type per noun
// (Apps, Builds, Releases, System) over a shared Core, each taking only
// the ports (small interfaces, below and beside each noun) it uses. The
// HTTP API and the event triggers call them through interfaces of their
// own; adapters in pkg/aws satisfy the ports; pkg/wire puts them
// together, per function.
package service

import (
	"context"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// Stacks creates and deletes apps' CloudFormation stacks.
type Stacks interface {
	// CreateAppStack starts creating app's stack. A stack the rack made
	// already is not an error: the call may be a retry. A stack of that
	// name the rack did not make is ECONFLICT.
	CreateAppStack(ctx context.Context, app string) error
	// AppStackStatus tells the app status the stack's state means, and why
	// when it failed. A stack that does not exist, or is fully deleted,
	// fails with ENOTFOUND; one the rack did not make with ECONFLICT.
	AppStackStatus(ctx context.Context, app string) (rack.AppStatus, string, error)
	// DeleteAppStack starts deleting app's stack. A stack that does not
	// exist is not an error; one the rack did not make is ECONFLICT.
	DeleteAppStack(ctx context.Context, app string) error
}

// RackStack reads and changes the rack's own CloudFormation stack, the
// stack named as the rack.
type RackStack interface {
	// RackStack reads the stack; ENOTFOUND when there is none (a local
	// API, or a rack gone).
	RackStack(ctx context.Context) (rack.RackStack, error)
	// RackTemplate reads the template of version for arch where the
	// installer uploads it, in the artifacts bucket of the account and
	// region of the stack stackID; ENOTFOUND, saying where it looked and
	// how to put it there, when it is not there.
	RackTemplate(ctx context.Context, stackID, version, arch string) (rack.RackTemplate, error)
	// ChangeRackStack makes a change set of u, executes it, and returns
	// what it changes. A change set that changes nothing is not executed
	// and returns no changes. A retried call with the same u makes no
	// second change set. A stack that started changing meanwhile is
	// ECONFLICT; values CloudFormation refuses are EINVALID.
	ChangeRackStack(ctx context.Context, u rack.RackStackUpdate) ([]rack.StackChange, error)
}

// Sealer encrypts and decrypts secrets, such as an app's environment, so
// that the store only ever holds ciphertext.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, sealed []byte) ([]byte, error)
}

// Publisher announces the rack's state changes (to its event bus, and from
// there to webhooks).
type Publisher interface {
	Publish(ctx context.Context, ev events.RackEvent) error
}
