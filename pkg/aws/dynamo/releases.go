package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rackhq/rack/pkg/rack"
)

type releaseRecord struct {
	ID          string `dynamodbav:"id"`
	App         string `dynamodbav:"app"`
	Build       string `dynamodbav:"build,omitempty"`
	Parent      string `dynamodbav:"parent,omitempty"`
	Description string `dynamodbav:"description,omitempty"`
	Status      string `dynamodbav:"status"`
	Manifest    string `dynamodbav:"manifest,omitempty"`
	Env         []byte `dynamodbav:"env,omitempty"`
	Token       string `dynamodbav:"token,omitempty"`
	Reason      string `dynamodbav:"reason,omitempty"`
	Version     int64  `dynamodbav:"version"`
	Created     string `dynamodbav:"created"`
	Updated     string `dynamodbav:"updated"`
}

func decodeRelease(item map[string]types.AttributeValue) (rack.Release, error) {
	r, err := unmarshal[releaseRecord](item)
	if err != nil {
		return rack.Release{}, err
	}
	rel := rack.Release{
		ID:          r.ID,
		App:         r.App,
		Build:       r.Build,
		Parent:      r.Parent,
		Description: r.Description,
		Status:      rack.ReleaseStatus(r.Status),
		Manifest:    r.Manifest,
		Env:         r.Env,
		Token:       r.Token,
		Reason:      r.Reason,
		Version:     r.Version,
	}
	err = parseTimes(map[*time.Time]string{&rel.Created: r.Created, &rel.Updated: r.Updated})
	return rel, err
}

// CreateRelease records a new release of an existing app, at version 1.
func (s *Store) CreateRelease(ctx context.Context, r rack.Release) (rack.Release, error) {
	if err := rack.ValidateChild("release", rack.ReleaseIDPrefix, r.App, r.ID); err != nil {
		return rack.Release{}, err
	}
	if !r.Status.Valid() {
		return rack.Release{}, rack.Errorf(rack.EINVALID, "release %s: unknown status %q", r.ID, r.Status)
	}
	now := s.now()
	r.Version, r.Created, r.Updated = 1, now, now
	item, err := marshal(releaseRecord{
		ID:          r.ID,
		App:         r.App,
		Build:       r.Build,
		Parent:      r.Parent,
		Description: r.Description,
		Status:      string(r.Status),
		Manifest:    r.Manifest,
		Env:         r.Env,
		Version:     r.Version,
		Created:     formatTime(now),
		Updated:     formatTime(now),
	}, releases.keys(r.App, r.ID, formatTime(now)))
	if err == nil {
		err = s.createChild(ctx, releases, r.App, r.ID, item, &r.Parent)
	}
	if err != nil {
		return rack.Release{}, fmt.Errorf("create release %s: %w", r.ID, err)
	}
	return r, nil
}

// GetRelease reads a release.
func (s *Store) GetRelease(ctx context.Context, app, id string) (rack.Release, error) {
	item, err := s.getChild(ctx, releases, app, id)
	if err != nil {
		return rack.Release{}, fmt.Errorf("get release %s: %w", id, err)
	}
	return decodeRelease(item)
}

// ListReleases lists an app's releases newest first.
func (s *Store) ListReleases(ctx context.Context, app string, page rack.Page) ([]rack.Release, string, error) {
	return listChildren(ctx, s, releases, app, page, decodeRelease)
}

// UpdateRelease writes a release's status, description, promotion token
// and failure reason if the stored release is still at r.Version with
// status from. Its build, manifest and environment never change: a change
// makes a new release.
func (s *Store) UpdateRelease(ctx context.Context, r rack.Release, from rack.ReleaseStatus) (rack.Release, error) {
	if !from.CanMoveTo(r.Status) {
		return rack.Release{}, rack.Errorf(rack.EINVALID, "release %s cannot go from %s to %s", r.ID, from, r.Status)
	}
	upd := expression.Set(expression.Name("status"), expression.Value(string(r.Status)))
	upd = setOrRemove(upd, "description", r.Description, r.Description == "")
	upd = setOrRemove(upd, "token", r.Token, r.Token == "")
	upd = setOrRemove(upd, "reason", r.Reason, r.Reason == "")
	item, err := s.updateChild(ctx, releases, r.App, r.ID, r.Version, string(from), upd)
	if err != nil {
		return rack.Release{}, fmt.Errorf("update release %s: %w", r.ID, err)
	}
	return decodeRelease(item)
}
