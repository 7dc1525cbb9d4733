package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rackhq/rack/pkg/rack"
)

type buildRecord struct {
	ID          string `dynamodbav:"id"`
	App         string `dynamodbav:"app"`
	Description string `dynamodbav:"description,omitempty"`
	Status      string `dynamodbav:"status"`
	Manifest    string `dynamodbav:"manifest,omitempty"`
	Release     string `dynamodbav:"release,omitempty"`
	Reason      string `dynamodbav:"reason,omitempty"`
	Logs        string `dynamodbav:"logs,omitempty"`
	Job         string `dynamodbav:"job,omitempty"`
	LogGroup    string `dynamodbav:"logGroup,omitempty"`
	LogStream   string `dynamodbav:"logStream,omitempty"`
	Started     string `dynamodbav:"started,omitempty"`
	Ended       string `dynamodbav:"ended,omitempty"`
	Version     int64  `dynamodbav:"version"`
	Created     string `dynamodbav:"created"`
	Updated     string `dynamodbav:"updated"`
}

func decodeBuild(item map[string]types.AttributeValue) (rack.Build, error) {
	r, err := unmarshal[buildRecord](item)
	if err != nil {
		return rack.Build{}, err
	}
	b := rack.Build{
		ID:          r.ID,
		App:         r.App,
		Description: r.Description,
		Status:      rack.BuildStatus(r.Status),
		Manifest:    r.Manifest,
		Release:     r.Release,
		Reason:      r.Reason,
		Logs:        r.Logs,
		Job:         r.Job,
		LogGroup:    r.LogGroup,
		LogStream:   r.LogStream,
		Version:     r.Version,
	}
	err = parseTimes(map[*time.Time]string{&b.Started: r.Started, &b.Ended: r.Ended, &b.Created: r.Created, &b.Updated: r.Updated})
	return b, err
}

// CreateBuild records a new build of an existing app, at version 1.
func (s *Store) CreateBuild(ctx context.Context, b rack.Build) (rack.Build, error) {
	if err := rack.ValidateChild("build", rack.BuildIDPrefix, b.App, b.ID); err != nil {
		return rack.Build{}, err
	}
	if !b.Status.Valid() {
		return rack.Build{}, rack.Errorf(rack.EINVALID, "build %s: unknown status %q", b.ID, b.Status)
	}
	now := s.now()
	b.Version, b.Created, b.Updated = 1, now, now
	item, err := marshal(buildRecord{
		ID:          b.ID,
		App:         b.App,
		Description: b.Description,
		Status:      string(b.Status),
		Manifest:    b.Manifest,
		Release:     b.Release,
		Reason:      b.Reason,
		Logs:        b.Logs,
		Job:         b.Job,
		LogGroup:    b.LogGroup,
		LogStream:   b.LogStream,
		Started:     formatTime(b.Started),
		Ended:       formatTime(b.Ended),
		Version:     b.Version,
		Created:     formatTime(now),
		Updated:     formatTime(now),
	}, builds.keys(b.App, b.ID, formatTime(now)))
	if err == nil {
		err = s.createChild(ctx, builds, b.App, b.ID, item, nil)
	}
	if err != nil {
		return rack.Build{}, fmt.Errorf("create build %s: %w", b.ID, err)
	}
	return b, nil
}

// GetBuild reads a build.
func (s *Store) GetBuild(ctx context.Context, app, id string) (rack.Build, error) {
	item, err := s.getChild(ctx, builds, app, id)
	if err != nil {
		return rack.Build{}, fmt.Errorf("get build %s: %w", id, err)
	}
	return decodeBuild(item)
}

// ListBuilds lists an app's builds newest first.
func (s *Store) ListBuilds(ctx context.Context, app string, page rack.Page) ([]rack.Build, string, error) {
	return listChildren(ctx, s, builds, app, page, decodeBuild)
}

// UpdateBuild writes a build's mutable fields if the stored build is still
// at b.Version with status from.
func (s *Store) UpdateBuild(ctx context.Context, b rack.Build, from rack.BuildStatus) (rack.Build, error) {
	if !from.CanMoveTo(b.Status) {
		return rack.Build{}, rack.Errorf(rack.EINVALID, "build %s cannot go from %s to %s", b.ID, from, b.Status)
	}
	upd := expression.Set(expression.Name("status"), expression.Value(string(b.Status)))
	for _, f := range []struct {
		name, value string
	}{
		{"description", b.Description},
		{"manifest", b.Manifest},
		{"release", b.Release},
		{"reason", b.Reason},
		{"logs", b.Logs},
		{"job", b.Job},
		{"logGroup", b.LogGroup},
		{"logStream", b.LogStream},
		{"started", formatTime(b.Started)},
		{"ended", formatTime(b.Ended)},
	} {
		upd = setOrRemove(upd, f.name, f.value, f.value == "")
	}
	item, err := s.updateChild(ctx, builds, b.App, b.ID, b.Version, string(from), upd)
	if err != nil {
		return rack.Build{}, fmt.Errorf("update build %s: %w", b.ID, err)
	}
	return decodeBuild(item)
}

// DeleteBuild removes a build; one that is not there is not an error.
func (s *Store) DeleteBuild(ctx context.Context, app, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: builds.key(app, id)})
	if err != nil {
		return fmt.Errorf("delete build %s: %w", id, err)
	}
	return nil
}
