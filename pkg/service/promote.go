package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rackhq/rack/events"
	"github.com/rackhq/rack/pkg/appstack"
	"github.com/rackhq/rack/pkg/manifest"
	"github.com/rackhq/rack/pkg/rack"
)

// AppStacks updates apps' stacks and tells how an update went. An update
// is named by a token, which CloudFormation writes on every event of it.
type AppStacks interface {
	// UpdateAppStack starts updating app's stack to template. changed is
	// false when the template is what the stack has already: nothing
	// starts. A stack busy with another operation is ECONFLICT; a
	// template CloudFormation refuses is EINVALID.
	UpdateAppStack(ctx context.Context, app string, template []byte, token string) (changed bool, err error)
	// AppStackUpdate tells where the update token stands.
	AppStackUpdate(ctx context.Context, app, token string) (rack.StackUpdate, error)
	// AppStackEvents lists the events of update token, oldest first.
	AppStackEvents(ctx context.Context, app, token string) ([]rack.StackEvent, error)
	// CancelAppStackUpdate cancels the update in progress of app's stack;
	// ECONFLICT when none is.
	CancelAppStackUpdate(ctx context.Context, app string) error
}

// EnvValues keeps environment values where containers read them from.
type EnvValues interface {
	// StoreEnv makes sure every value of env, an environment of release,
	// is kept, and returns by name the reference a task definition reads
	// each by: the same reference for a value kept already, by this
	// release or another; "" for an empty value, which is not kept.
	StoreEnv(ctx context.Context, app, release string, env rack.Environment) (map[string]string, error)
}

// RackLayout is what app stacks take from the rack.
type RackLayout interface {
	// StackRack is the rack as an app stack needs it, with the balancers
	// asked for. ready is false while a balancer is being made: the
	// promotion waits for it.
	StackRack(ctx context.Context, external, internal bool) (r appstack.Rack, ready bool, err error)
	// RemoveRouter starts removing the rack's balancers, if it has them.
	RemoveRouter(ctx context.Context) error
}

// PromoteStore is what Promotions keeps and reads.
type PromoteStore interface {
	GetApp(ctx context.Context, name string) (rack.App, error)
	ListApps(ctx context.Context, page rack.Page) ([]rack.App, string, error)
	UpdateApp(ctx context.Context, app rack.App, from rack.AppStatus) (rack.App, error)
	GetRelease(ctx context.Context, app, id string) (rack.Release, error)
	UpdateRelease(ctx context.Context, release rack.Release, from rack.ReleaseStatus) (rack.Release, error)
}

// Deployments tell how the ECS deployments of an app's services stand.
type Deployments interface {
	// AppDeployments tells how the newest deployment of each of app's
	// services stands.
	AppDeployments(ctx context.Context, app string) ([]rack.Deployment, error)
}

// PromotePorts are the outside systems a promotion uses.
type PromotePorts struct {
	Stacks      AppStacks
	Env         EnvValues
	Layout      RackLayout
	Deployments Deployments
}

// Promotions deploy releases: an app's stack updated to what a release
// says, one promotion per app at a time.
//
// A promotion is claimed on the app with a conditional write, so of two
// at once exactly one proceeds. It then moves in steps, each safe to
// repeat, that the API call, the stack's status events and the sweep all
// drive: the release is marked promoting, the stack update is asked for
// (once the rack's balancer is there, when the release needs one), and
// when the update's events say it is over, the release is marked active
// or failed and the app is freed.
type Promotions struct {
	*Core
	store  PromoteStore
	sealer Sealer
	ports  PromotePorts
}

// NewPromotions returns the promotion use cases.
func NewPromotions(core *Core, store PromoteStore, sealer Sealer, ports PromotePorts) *Promotions {
	return &Promotions{Core: core, store: store, sealer: sealer, ports: ports}
}

const (
	// claimAttempts bounds the tries of a write to an app that other
	// writes (status events, releases) may overtake.
	claimAttempts = 10
	// submitGrace is how long a promotion that asked for its stack update
	// may show no event of it before the sweep calls it failed.
	submitGrace = 5 * time.Minute
	// routerWait is how long a promotion waits for the rack's balancer.
	routerWait = 20 * time.Minute
)

// Promote starts deploying release id of app. A second promotion while one
// is under way is ECONFLICT, naming the release in flight; promoting the
// release in flight again is a retry, and carries it forward. A release
// whose manifest needs environment the release lacks is EINVALID, and
// nothing is claimed.
func (p *Promotions) Promote(ctx context.Context, app, id string) (rack.Release, error) {
	for attempt := 1; ; attempt++ {
		a, err := p.store.GetApp(ctx, app)
		if err != nil {
			return rack.Release{}, err
		}
		switch a.Status {
		case rack.AppCreating, rack.AppDeleting:
			return rack.Release{}, rack.Errorf(rack.ECONFLICT, "app %s is %s", app, a.Status)
		}
		r, err := p.store.GetRelease(ctx, app, id)
		if err != nil {
			return rack.Release{}, err
		}
		if a.Promotion.Active() {
			if a.Promotion.Release != id {
				return rack.Release{}, rack.Errorf(rack.ECONFLICT,
					"app %s is promoting release %s; wait for it to finish, or cancel it with: convox apps cancel -a %s",
					app, a.Promotion.Release, app)
			}
			return p.carry(ctx, a)
		}
		if r.ID == a.Release && r.Status == rack.ReleaseActive {
			return r, nil
		}
		if r.Build == "" {
			return rack.Release{}, rack.Errorf(rack.EINVALID, "release %s has no build to deploy: build the app first", id)
		}
		m, env, err := p.load(ctx, r)
		if err != nil {
			return rack.Release{}, err
		}
		claimed := a
		claimed.Promotion = rack.Promotion{Release: id, Started: p.now()}
		a, err = p.store.UpdateApp(ctx, claimed, a.Status)
		switch {
		case err == nil:
			p.log.InfoContext(ctx, "promotion claimed", "app", app, "release", id)
			// The release is loaded already: its submit need not open it
			// again.
			return p.carryLoaded(ctx, a, &loaded{m, env})
		case !rack.IsCode(err, rack.ECONFLICT) || attempt == claimAttempts:
			return rack.Release{}, err
		}
		// The app changed since it was read: read it again, and see
		// whether another promotion got there first.
	}
}

// Cancel stops app's promotion: a stack update under way is cancelled
// (CloudFormation rolls it back, and the promotion ends failed as a
// rollback does); one not asked for yet ends failed at once.
func (p *Promotions) Cancel(ctx context.Context, app string) error {
	a, err := p.store.GetApp(ctx, app)
	if err != nil {
		return err
	}
	if !a.Promotion.Active() {
		return rack.Errorf(rack.ECONFLICT, "app %s is not being deployed", app)
	}
	if !a.Promotion.Submitted {
		r, err := p.store.GetRelease(ctx, app, a.Promotion.Release)
		if err != nil {
			return err
		}
		return p.finish(ctx, a, r, false, "cancelled")
	}
	return p.ports.Stacks.CancelAppStackUpdate(ctx, app)
}

// Events lists the stack events of release id's latest promotion, oldest
// first; none before it was promoted.
func (p *Promotions) Events(ctx context.Context, app, id string) ([]rack.StackEvent, error) {
	r, err := p.store.GetRelease(ctx, app, id)
	if err != nil {
		return nil, err
	}
	if r.Token == "" {
		return []rack.StackEvent{}, nil
	}
	return p.ports.Stacks.AppStackEvents(ctx, app, r.Token)
}

// Deployments tells how the ECS deployment of each of app's services
// stands: what a stack update waits for, while its events say nothing.
// An app whose stack has no services yet has none.
func (p *Promotions) Deployments(ctx context.Context, app string) ([]rack.Deployment, error) {
	if _, err := p.store.GetApp(ctx, app); err != nil {
		return nil, err
	}
	ds, err := p.ports.Deployments.AppDeployments(ctx, app)
	if err != nil {
		return nil, err
	}
	if ds == nil {
		ds = []rack.Deployment{}
	}
	return ds, nil
}

// Settle carries app's promotion, if it has one, as far as it can go now:
// the step the stack status events and the sweep take. It is safe to call
// any number of times, at once too.
func (p *Promotions) Settle(ctx context.Context, app string) error {
	a, err := p.store.GetApp(ctx, app)
	if err != nil || !a.Promotion.Active() {
		return err
	}
	_, err = p.carry(ctx, a)
	return err
}

// SettleAll carries every app's promotion under way as far as it goes:
// the sweep, which repairs what a lost event left. An app that fails is
// named in the error and does not hold the others back. Then, when no app
// is being deployed and no app's active release has a service with a
// port, the rack's balancers go: a rack without web services pays nothing
// for them.
func (p *Promotions) SettleAll(ctx context.Context) error {
	var errs []error
	needed := false
	err := p.eachApp(ctx, func(a rack.App) {
		if a.Promotion.Active() {
			needed = true
			// A release the rack cannot deploy (EINVALID) has ended its
			// promotion failed, saying why: nothing to try again.
			if _, err := p.carry(ctx, a); err != nil && !rack.IsCode(err, rack.ENOTFOUND) && !rack.IsCode(err, rack.EINVALID) {
				errs = append(errs, fmt.Errorf("promotion of app %s: %w", a.Name, err))
			}
			return
		}
		if !needed && a.Release != "" {
			needed = p.needsRouter(ctx, a)
		}
	})
	if err != nil || needed || len(errs) > 0 {
		return errors.Join(append(errs, err)...)
	}
	// Read once more just before: a promotion claimed since the first
	// read keeps the balancers. (One claimed in the moment between this
	// read and the removal finds them going, waits, and has them made
	// again.)
	err = p.eachApp(ctx, func(a rack.App) { needed = needed || a.Promotion.Active() })
	if err != nil || needed {
		return err
	}
	return p.ports.Layout.RemoveRouter(ctx)
}

// eachApp calls f with every app.
func (p *Promotions) eachApp(ctx context.Context, f func(rack.App)) error {
	page := rack.Page{Limit: rack.MaxPageLimit}
	for {
		apps, next, err := p.store.ListApps(ctx, page)
		if err != nil {
			return fmt.Errorf("list apps: %w", err)
		}
		for _, a := range apps {
			f(a)
		}
		if next == "" {
			return nil
		}
		page.Cursor = next
	}
}

// needsRouter reports whether a's active release has a service behind a
// balancer; when that cannot be told, it says yes.
func (p *Promotions) needsRouter(ctx context.Context, a rack.App) bool {
	r, err := p.store.GetRelease(ctx, a.Name, a.Release)
	if err != nil {
		return !rack.IsCode(err, rack.ENOTFOUND)
	}
	m, _, err := p.load(ctx, r)
	if err != nil {
		return true
	}
	external, internal := appstack.NeedsRouter(m)
	return external || internal
}

// carry moves a's promotion on by the steps it is ready for, and returns
// its release as it then stands.
func (p *Promotions) carry(ctx context.Context, a rack.App) (rack.Release, error) {
	return p.carryLoaded(ctx, a, nil)
}

// loaded is a release's manifest and environment, opened.
type loaded struct {
	m   manifest.Manifest
	env rack.Environment
}

// carryLoaded is carry with a's release loaded already, when l is not
// nil.
func (p *Promotions) carryLoaded(ctx context.Context, a rack.App, l *loaded) (rack.Release, error) {
	r, err := p.store.GetRelease(ctx, a.Name, a.Promotion.Release)
	if err != nil {
		return rack.Release{}, err
	}
	if r.Status != rack.ReleasePromoting {
		if r, err = p.markPromoting(ctx, r); err != nil {
			return rack.Release{}, err
		}
	}
	if !a.Promotion.Submitted {
		if a, err = p.submit(ctx, a, r, l); err != nil || !a.Promotion.Submitted {
			return p.current(ctx, r, err)
		}
	}
	u, err := p.ports.Stacks.AppStackUpdate(ctx, a.Name, r.Token)
	if err != nil {
		return rack.Release{}, err
	}
	switch u.State {
	case rack.UpdateComplete:
		err = p.finish(ctx, a, r, true, "")
	case rack.UpdateRolledBack:
		err = p.finish(ctx, a, r, false, u.Reason)
	case rack.UpdateRollbackFailed:
		err = p.finish(ctx, a, r, false, fmt.Sprintf("%s; the stack %s could not be rolled back either "+
			"(UPDATE_ROLLBACK_FAILED): fix what stops its rollback, then continue it with "+
			"aws cloudformation continue-update-rollback (its resources to skip, if any, with --resources-to-skip), "+
			"and deploy again", u.Reason, a.Name))
	case rack.UpdateNotStarted:
		if p.now().Sub(a.Promotion.Started) > submitGrace {
			err = p.finish(ctx, a, r, false, "the stack update never started")
		}
	}
	return p.current(ctx, r, err)
}

// current reads r again, unless err.
func (p *Promotions) current(ctx context.Context, r rack.Release, err error) (rack.Release, error) {
	if err != nil {
		return rack.Release{}, err
	}
	return p.store.GetRelease(ctx, r.App, r.ID)
}

// markPromoting moves r to promoting with a new token, which names this
// promotion's stack update: unique to it, as the release's version is.
func (p *Promotions) markPromoting(ctx context.Context, r rack.Release) (rack.Release, error) {
	from := r.Status
	r.Status = rack.ReleasePromoting
	r.Token = fmt.Sprintf("%s-%d", r.ID, r.Version+1)
	r.Reason = ""
	written, err := p.store.UpdateRelease(ctx, r, from)
	if err != nil {
		return rack.Release{}, fmt.Errorf("promote release %s: %w", r.ID, err)
	}
	return written, nil
}

// submit asks for a's stack update to r, once the rack is ready for it,
// and records that it did. An update under way already (a retry after a
// lost answer) is found by its token, and not asked for twice.
func (p *Promotions) submit(ctx context.Context, a rack.App, r rack.Release, l *loaded) (rack.App, error) {
	u, err := p.ports.Stacks.AppStackUpdate(ctx, a.Name, r.Token)
	if err != nil {
		return a, err
	}
	if u.State != rack.UpdateNotStarted {
		return p.markSubmitted(ctx, a)
	}
	if l == nil {
		m, env, err := p.load(ctx, r)
		if err != nil {
			return a, p.fail(ctx, a, r, err)
		}
		l = &loaded{m, env}
	}
	m, env := l.m, l.env
	external, internal := appstack.NeedsRouter(m)
	layout, ready, err := p.ports.Layout.StackRack(ctx, external, internal)
	if err != nil {
		return a, err
	}
	if !ready {
		if p.now().Sub(a.Promotion.Started) > routerWait {
			return a, p.finish(ctx, a, r, false, "the rack's balancer did not become ready")
		}
		p.log.InfoContext(ctx, "promotion waits for the rack's balancer", "app", a.Name, "release", r.ID)
		return a, nil
	}
	refs, err := p.ports.Env.StoreEnv(ctx, a.Name, r.ID, env)
	if err != nil {
		return a, err
	}
	stack, err := appstack.Render(scaled(m, a.Scale), appstack.Options{
		Rack:    layout,
		App:     a.Name,
		Release: appstack.Release{ID: r.ID, Build: r.Build, Env: refs},
		Counts:  counts(a.Scale),
	})
	if err != nil {
		return a, p.fail(ctx, a, r, err)
	}
	body, err := stack.JSON()
	if err != nil {
		return a, err
	}
	router := ""
	if layout.Router != nil {
		router = layout.Router.Host
	}
	changed, err := p.ports.Stacks.UpdateAppStack(ctx, a.Name, body, r.Token)
	switch {
	case rack.IsCode(err, rack.EINVALID):
		return a, p.fail(ctx, a, r, err)
	case err != nil:
		return a, err
	case !changed:
		// The stack holds this release already.
		a.Promotion.Router = router
		return a, p.finish(ctx, a, r, true, "")
	}
	return p.updateApp(ctx, a, func(a *rack.App) { a.Promotion.Submitted, a.Promotion.Router = true, router })
}

// fail ends a's promotion of r failed with err's message, and returns err
// when it is the caller's fault (EINVALID), for the caller to see.
func (p *Promotions) fail(ctx context.Context, a rack.App, r rack.Release, err error) error {
	if ferr := p.finish(ctx, a, r, false, rack.ErrorMessage(err)); ferr != nil {
		return ferr
	}
	if rack.IsCode(err, rack.EINVALID) {
		return err
	}
	return nil
}

// markSubmitted records that a's stack update was asked for.
func (p *Promotions) markSubmitted(ctx context.Context, a rack.App) (rack.App, error) {
	return p.updateApp(ctx, a, func(a *rack.App) { a.Promotion.Submitted = true })
}

// finish ends a's promotion of r: r active (and the app's release before
// it superseded), or failed with reason; then the app is freed. Each
// write is conditional and checked first, so a second caller finishing
// the same promotion changes nothing.
func (p *Promotions) finish(ctx context.Context, a rack.App, r rack.Release, ok bool, reason string) error {
	if r.Status == rack.ReleasePromoting {
		done := r
		done.Status, done.Reason = rack.ReleaseFailed, reason
		if ok {
			done.Status, done.Reason = rack.ReleaseActive, ""
		}
		if _, err := p.store.UpdateRelease(ctx, done, rack.ReleasePromoting); err != nil && !rack.IsCode(err, rack.ECONFLICT) {
			return fmt.Errorf("promote release %s: %w", r.ID, err)
		}
	}
	previous := a.Release
	if ok && previous != "" && previous != r.ID {
		if err := p.supersede(ctx, a.Name, previous); err != nil {
			return err
		}
	}
	_, err := p.updateApp(ctx, a, func(a *rack.App) {
		router := a.Promotion.Router
		a.Promotion = rack.Promotion{}
		if ok {
			a.Release, a.Router = r.ID, router
		}
	})
	if err != nil {
		return err
	}
	data := map[string]string{"app": a.Name, "id": r.ID}
	if ok {
		p.log.InfoContext(ctx, "release active", "app", a.Name, "release", r.ID)
		p.publish(ctx, events.ActionReleasePromote, events.StatusSuccess, data)
	} else {
		p.log.InfoContext(ctx, "promotion failed", "app", a.Name, "release", r.ID, "reason", reason)
		data["reason"] = reason
		p.publish(ctx, events.ActionReleasePromote, events.StatusError, data)
	}
	return nil
}

// supersede moves the app's release before a promotion from active to
// superseded.
func (p *Promotions) supersede(ctx context.Context, app, id string) error {
	prev, err := p.store.GetRelease(ctx, app, id)
	switch {
	case rack.IsCode(err, rack.ENOTFOUND):
		return nil
	case err != nil:
		return err
	case prev.Status != rack.ReleaseActive:
		return nil
	}
	prev.Status = rack.ReleaseSuperseded
	if _, err := p.store.UpdateRelease(ctx, prev, rack.ReleaseActive); err != nil && !rack.IsCode(err, rack.ECONFLICT) {
		return fmt.Errorf("supersede release %s: %w", id, err)
	}
	return nil
}

// updateApp applies change to a's promotion, reading the app again when
// another write overtook this one; it stops, changing nothing, once the
// app's promotion is no longer a's.
func (p *Promotions) updateApp(ctx context.Context, a rack.App, change func(*rack.App)) (rack.App, error) {
	promotion := a.Promotion.Release
	for attempt := 1; ; attempt++ {
		next := a
		change(&next)
		written, err := p.store.UpdateApp(ctx, next, a.Status)
		if err == nil || !rack.IsCode(err, rack.ECONFLICT) || attempt == claimAttempts {
			return written, err
		}
		if a, err = p.store.GetApp(ctx, a.Name); err != nil {
			return rack.App{}, err
		}
		if a.Promotion.Release != promotion {
			return a, nil
		}
	}
}

// load reads r's manifest with r's environment, and checks that the
// environment has what the manifest requires.
func (p *Promotions) load(ctx context.Context, r rack.Release) (m manifest.Manifest, env rack.Environment, err error) {
	env, err = openEnv(ctx, p.sealer, r)
	if err != nil {
		return manifest.Manifest{}, nil, fmt.Errorf("release %s: %w", r.ID, err)
	}
	m, err = manifest.Load([]byte(r.Manifest), env)
	if errs, ok := manifest.IsErrors(err); ok {
		return manifest.Manifest{}, nil, rack.Errorf(rack.EINVALID, "the manifest of release %s is not valid:\n%s", r.ID, errs)
	} else if err != nil {
		return manifest.Manifest{}, nil, err
	}
	if missing := m.MissingEnv(env); len(missing) > 0 {
		return manifest.Manifest{}, nil, rack.Errorf(rack.EINVALID, "required env: %s", strings.Join(missing, ", "))
	}
	return m, env, nil
}

// scaled is m with the cpu and memory `convox scale` set of its services.
func scaled(m manifest.Manifest, scale map[string]rack.ServiceScale) manifest.Manifest {
	if len(scale) == 0 {
		return m
	}
	services := make([]manifest.Service, len(m.Services))
	copy(services, m.Services)
	for i, s := range services {
		if sc, ok := scale[s.Name]; ok {
			if sc.CPU > 0 {
				services[i].Scale.CPU = sc.CPU
			}
			if sc.Memory > 0 {
				services[i].Scale.Memory = sc.Memory
			}
		}
	}
	m.Services = services
	return m
}

// counts are the desired counts `convox scale` set, by service.
func counts(scale map[string]rack.ServiceScale) map[string]int {
	out := map[string]int{}
	for name, sc := range scale {
		if sc.Count != nil {
			out[name] = *sc.Count
		}
	}
	return out
}
