package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/rack"
)

// Apps creates and deletes apps, and keeps their status current with
// their stacks. Reads read the store only: the stack status event trigger
// and the reconcile sweep are what bring an app's status current.
type Apps struct {
	*Core
	store  rack.AppStore
	stacks Stacks
	env    EnvRemover
}

// EnvRemover removes what an app's environment left outside the store.
type EnvRemover interface {
	// DeleteEnv removes every environment value kept for app.
	DeleteEnv(ctx context.Context, app string) error
}

// AppsOption changes how Apps work.
type AppsOption func(*Apps)

// RemovingEnv has a deleted app's environment values removed with it,
// before its record goes (so a failure leaves the app deleting, for the
// next event or sweep to try again).
func RemovingEnv(env EnvRemover) AppsOption {
	return func(a *Apps) { a.env = env }
}

// NewApps returns the apps use cases.
func NewApps(core *Core, store rack.AppStore, stacks Stacks, opts ...AppsOption) *Apps {
	a := &Apps{Core: core, store: store, stacks: stacks}
	for _, o := range opts {
		o(a)
	}
	return a
}

// CreateApp records a new app as creating and starts creating its stack.
// If the stack cannot be started, the record is removed again, so a failed
// create leaves nothing behind and can simply be retried.
func (s *Apps) CreateApp(ctx context.Context, name string) (rack.App, error) {
	if err := rack.ValidateAppName(name); err != nil {
		return rack.App{}, err
	}
	app, err := s.store.CreateApp(ctx, rack.App{Name: name, Status: rack.AppCreating})
	if err != nil {
		return rack.App{}, err
	}
	if err := s.stacks.CreateAppStack(ctx, name); err != nil {
		if derr := s.store.DeleteApp(context.WithoutCancel(ctx), name); derr != nil {
			s.log.ErrorContext(ctx, "app record left after its stack failed to start", "app", name, "error", derr)
		}
		return rack.App{}, fmt.Errorf("create app %s: %w", name, err)
	}
	return app, nil
}

// GetApp reads an app as the store has it: one read, no write, whatever
// its stack is doing.
func (s *Apps) GetApp(ctx context.Context, name string) (rack.App, error) {
	return s.store.GetApp(ctx, name)
}

// ListApps lists apps by name as the store has them.
func (s *Apps) ListApps(ctx context.Context, page rack.Page) ([]rack.App, string, error) {
	return s.store.ListApps(ctx, page)
}

// ReconcileApps brings every app in flight up to date with its stack: the
// sweep that makes sure a lost or late stack event never leaves an app
// stuck. An app whose stack cannot be read is skipped, and named in the
// error, so that one app never holds the others back.
func (s *Apps) ReconcileApps(ctx context.Context) error {
	page := rack.Page{Limit: rack.MaxPageLimit}
	var errs []error
	for {
		apps, next, err := s.store.ListApps(ctx, page)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("reconcile apps: %w", err))...)
		}
		for _, app := range apps {
			_, err := s.reconcile(ctx, app)
			if err != nil && !rack.IsCode(err, rack.ENOTFOUND) {
				errs = append(errs, err)
			}
		}
		if next == "" {
			return errors.Join(errs...)
		}
		page.Cursor = next
	}
}

// DeleteApp starts deleting an app's stack and marks the app deleting; the
// records go when the stack is gone. Deleting an app already being deleted
// is not an error. A stack under the app's name that the rack did not make
// is left alone: ECONFLICT.
func (s *Apps) DeleteApp(ctx context.Context, name string) (rack.App, error) {
	app, err := s.store.GetApp(ctx, name)
	if err != nil {
		return rack.App{}, err
	}
	// The store may lag the stack (an event on its way): a write may ask
	// the stack before it decides.
	if app, err = s.reconcile(ctx, app); err != nil {
		return rack.App{}, err
	}
	if app.Status == rack.AppDeleting {
		return app, nil
	}
	if !app.Status.CanMoveTo(rack.AppDeleting) {
		return rack.App{}, rack.Errorf(rack.ECONFLICT, "app %s is %s; wait until it is done", name, app.Status)
	}
	// The stack first: if marking the app fails after it, the next read
	// sees the stack deleting and catches the app up.
	if err := s.stacks.DeleteAppStack(ctx, name); err != nil {
		return rack.App{}, fmt.Errorf("delete app %s: %w", name, err)
	}
	return s.applyStatus(ctx, app, rack.AppDeleting, "")
}

// ApplyStackStatus moves an app to the status its stack reports; it is how
// both stack status events and the sweep keep apps current. A status the app
// may not move to (a late or replayed event) is ignored.
func (s *Apps) ApplyStackStatus(ctx context.Context, name string, status rack.AppStatus, reason string) (rack.App, error) {
	app, err := s.store.GetApp(ctx, name)
	if err != nil {
		return rack.App{}, err
	}
	return s.applyStatus(ctx, app, status, reason)
}

// AppDeleted finishes deleting an app whose stack is gone: it removes the
// app and everything kept under it. Only an app being deleted is removed: a
// late DELETE_COMPLETE of an earlier stack of the same name must not delete
// an app created again since.
func (s *Apps) AppDeleted(ctx context.Context, name string) error {
	app, err := s.store.GetApp(ctx, name)
	if rack.IsCode(err, rack.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if app.Status != rack.AppDeleting {
		s.log.WarnContext(ctx, "stack gone but app not deleting; kept", "app", name, "status", app.Status)
		return nil
	}
	if s.env != nil {
		if err := s.env.DeleteEnv(ctx, name); err != nil {
			return fmt.Errorf("delete app %s: %w", name, err)
		}
	}
	err = s.store.DeleteApp(ctx, name)
	if rack.IsCode(err, rack.ENOTFOUND) {
		return nil
	}
	if err == nil {
		s.publish(ctx, events.ActionAppDelete, events.StatusSuccess, map[string]string{"app": name})
	}
	return err
}

// announce publishes the end of an app's create or update.
func (s *Apps) announce(ctx context.Context, app string, from, to rack.AppStatus, reason string) {
	action := map[rack.AppStatus]string{rack.AppCreating: events.ActionAppCreate, rack.AppUpdating: events.ActionAppUpdate}[from]
	switch {
	case action == "":
	case to == rack.AppRunning:
		s.publish(ctx, action, events.StatusSuccess, map[string]string{"app": app})
	case to == rack.AppFailed:
		s.publish(ctx, action, events.StatusError, map[string]string{"app": app, "reason": reason})
	}
}

// stackStartGrace is how long a new app may have no stack before the sweep
// calls it failed: far longer than the CreateStack call CreateApp makes
// after recording the app.
const stackStartGrace = time.Minute

// reconcile asks the stack where a changing app is, and records it.
func (s *Apps) reconcile(ctx context.Context, app rack.App) (rack.App, error) {
	switch app.Status {
	case rack.AppCreating, rack.AppUpdating, rack.AppDeleting:
	default:
		return app, nil
	}
	status, reason, err := s.stacks.AppStackStatus(ctx, app.Name)
	switch {
	case rack.IsCode(err, rack.ENOTFOUND) && app.Status == rack.AppDeleting:
		if err := s.AppDeleted(ctx, app.Name); err != nil {
			return rack.App{}, err
		}
		return rack.App{}, rack.Errorf(rack.ENOTFOUND, "app %s not found", app.Name)
	case rack.IsCode(err, rack.ENOTFOUND) && app.Status == rack.AppCreating && s.now().Sub(app.Updated) < stackStartGrace:
		// CreateApp records the app before it asks for the stack: a sweep
		// in between finds no stack yet.
		return app, nil
	case rack.IsCode(err, rack.ENOTFOUND):
		status, reason = rack.AppFailed, "its stack is missing"
	case rack.IsCode(err, rack.ECONFLICT):
		status, reason = rack.AppFailed, rack.ErrorMessage(err)
	case err != nil:
		return rack.App{}, fmt.Errorf("app %s: %w", app.Name, err)
	}
	return s.applyStatus(ctx, app, status, reason)
}

// applyStatus writes app's new status if it may move there, rereading once
// if someone else wrote in between.
func (s *Apps) applyStatus(ctx context.Context, app rack.App, status rack.AppStatus, reason string) (rack.App, error) {
	for attempt := 0; ; attempt++ {
		if app.Status == status || !app.Status.CanMoveTo(status) {
			return app, nil
		}
		from := app.Status
		next := app
		next.Status = status
		written, err := s.store.UpdateApp(ctx, next, from)
		if err == nil {
			s.log.InfoContext(ctx, "app status", "app", app.Name, "from", from, "to", status, "reason", reason)
			s.announce(ctx, app.Name, from, status, reason)
			return written, nil
		}
		if !rack.IsCode(err, rack.ECONFLICT) || attempt == 2 {
			return rack.App{}, err
		}
		if app, err = s.store.GetApp(ctx, app.Name); err != nil {
			return rack.App{}, err
		}
	}
}
