package install

import (
	"context"

	"github.com/rackhq/rack/pkg/names"
)

// Doomed names the stacks Uninstall would delete, in its order: the
// rack's app stacks, its router, then the rack's own.
func (i *Installer) Doomed(ctx context.Context, name string) ([]string, error) {
	if _, err := i.describe(ctx, name); err != nil {
		return nil, err
	}
	// The apps first (their rules are on the router's listeners), then
	// the router, then the rack.
	apps, err := i.stacks(ctx, func(tags map[string]string) bool {
		return tags[names.TagRack] == name && tags[names.TagType] == names.TagTypeApp
	})
	if err != nil {
		return nil, err
	}
	routers, err := i.stacks(ctx, func(tags map[string]string) bool {
		return tags[names.TagRack] == name && tags[names.TagType] == names.TagTypeRouter
	})
	if err != nil {
		return nil, err
	}
	return append(append(apps, routers...), name), nil
}
