package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// Everything of an app lives in its partition, so deleting the app can find
// it all with one query.
const (
	appSortKey       = "APP"
	appListKey       = "APPS"
	buildKeyPrefix   = "BUILD#"
	releaseKeyPrefix = "RELEASE#"
	leaseKeyPrefix   = "LEASE#"
)

func appPartition(app string) string { return "APP#" + app }

type appRecord struct {
	Name       string            `dynamodbav:"name"`
	Status     string            `dynamodbav:"status"`
	Release    string            `dynamodbav:"release,omitempty"`
	Parameters map[string]string `dynamodbav:"parameters,omitempty"`
	Locked     bool              `dynamodbav:"locked,omitempty"`
	Latest     string            `dynamodbav:"latest,omitempty"`
	// The promotion under way, if any.
	Promoting string `dynamodbav:"promoting,omitempty"`
	Submitted bool   `dynamodbav:"submitted,omitempty"`
	Started   string `dynamodbav:"promotionStarted,omitempty"`
	// Its router, and the app's.
	PromotionRouter string `dynamodbav:"promotionRouter,omitempty"`
	Router          string `dynamodbav:"router,omitempty"`
	// What convox scale set, by service.
	Scale   map[string]scaleRecord `dynamodbav:"scale,omitempty"`
	Version int64                  `dynamodbav:"version"`
	Created string                 `dynamodbav:"created"`
	Updated string                 `dynamodbav:"updated"`
}

type scaleRecord struct {
	Count  *int `dynamodbav:"count,omitempty"`
	CPU    int  `dynamodbav:"cpu,omitempty"`
	Memory int  `dynamodbav:"memory,omitempty"`
}

func scaleOf(r map[string]scaleRecord) map[string]rack.ServiceScale {
	if len(r) == 0 {
		return nil
	}
	out := make(map[string]rack.ServiceScale, len(r))
	for k, v := range r {
		out[k] = rack.ServiceScale{Count: v.Count, CPU: v.CPU, Memory: v.Memory}
	}
	return out
}

func scaleRecords(s map[string]rack.ServiceScale) map[string]scaleRecord {
	out := make(map[string]scaleRecord, len(s))
	for k, v := range s {
		out[k] = scaleRecord{Count: v.Count, CPU: v.CPU, Memory: v.Memory}
	}
	return out
}

func (r appRecord) app() (rack.App, error) {
	a := rack.App{
		Name:       r.Name,
		Status:     rack.AppStatus(r.Status),
		Release:    r.Release,
		Parameters: r.Parameters,
		Locked:     r.Locked,
		Latest:     r.Latest,
		Version:    r.Version,
		Promotion:  rack.Promotion{Release: r.Promoting, Submitted: r.Submitted, Router: r.PromotionRouter},
		Router:     r.Router,
		Scale:      scaleOf(r.Scale),
	}
	times := map[*time.Time]string{&a.Created: r.Created, &a.Updated: r.Updated}
	if r.Started != "" {
		times[&a.Promotion.Started] = r.Started
	}
	err := parseTimes(times)
	return a, err
}

func decodeApp(item map[string]types.AttributeValue) (rack.App, error) {
	r, err := unmarshal[appRecord](item)
	if err != nil {
		return rack.App{}, err
	}
	return r.app()
}

// CreateApp records a new app at version 1.
func (s *Store) CreateApp(ctx context.Context, app rack.App) (rack.App, error) {
	if err := rack.ValidateAppName(app.Name); err != nil {
		return rack.App{}, err
	}
	if !app.Status.Valid() {
		return rack.App{}, rack.Errorf(rack.EINVALID, "app %s: unknown status %q", app.Name, app.Status)
	}
	now := s.now()
	app.Version, app.Created, app.Updated = 1, now, now
	item, err := marshal(appRecord{
		Name:       app.Name,
		Status:     string(app.Status),
		Release:    app.Release,
		Parameters: app.Parameters,
		Locked:     app.Locked,
		Version:    app.Version,
		Created:    formatTime(now),
		Updated:    formatTime(now),
	}, map[string]string{
		names.TablePartitionKey:     appPartition(app.Name),
		names.TableSortKey:          appSortKey,
		names.ListIndexPartitionKey: appListKey,
		names.ListIndexSortKey:      app.Name,
	})
	if err != nil {
		return rack.App{}, fmt.Errorf("create app %s: %w", app.Name, err)
	}
	ok, err := s.put(ctx, item, absent())
	if err != nil {
		return rack.App{}, fmt.Errorf("create app %s: %w", app.Name, err)
	}
	if !ok {
		return rack.App{}, rack.Errorf(rack.ECONFLICT, "app %s already exists", app.Name)
	}
	return app, nil
}

// GetApp reads an app.
func (s *Store) GetApp(ctx context.Context, name string) (rack.App, error) {
	item, err := s.get(ctx, key(appPartition(name), appSortKey))
	if err != nil {
		return rack.App{}, fmt.Errorf("get app %s: %w", name, err)
	}
	if item == nil {
		return rack.App{}, rack.NotFound("app", name)
	}
	app, err := decodeApp(item)
	if err != nil {
		return rack.App{}, fmt.Errorf("get app %s: %w", name, err)
	}
	return app, nil
}

// ListApps lists apps by name.
func (s *Store) ListApps(ctx context.Context, page rack.Page) ([]rack.App, string, error) {
	items, next, err := s.list(ctx, appListKey, true, page)
	if err != nil {
		return nil, "", fmt.Errorf("list apps: %w", err)
	}
	apps := make([]rack.App, 0, len(items))
	for _, item := range items {
		app, err := decodeApp(item)
		if err != nil {
			return nil, "", fmt.Errorf("list apps: %w", err)
		}
		apps = append(apps, app)
	}
	return apps, next, nil
}

// UpdateApp writes the app's status, release, parameters, lock and
// promotion if the stored
// app is still at app.Version with status from.
func (s *Store) UpdateApp(ctx context.Context, app rack.App, from rack.AppStatus) (rack.App, error) {
	if !from.CanMoveTo(app.Status) {
		return rack.App{}, rack.Errorf(rack.EINVALID, "app %s cannot go from %s to %s", app.Name, from, app.Status)
	}
	upd := expression.
		Set(expression.Name("status"), expression.Value(string(app.Status))).
		Set(expression.Name("updated"), expression.Value(formatTime(s.now()))).
		Set(expression.Name("version"), expression.Value(app.Version+1))
	upd = setOrRemove(upd, "release", app.Release, app.Release == "")
	upd = setOrRemove(upd, "parameters", app.Parameters, len(app.Parameters) == 0)
	upd = setOrRemove(upd, "locked", true, !app.Locked)
	p := app.Promotion
	upd = setOrRemove(upd, "promoting", p.Release, !p.Active())
	upd = setOrRemove(upd, "submitted", true, !p.Active() || !p.Submitted)
	upd = setOrRemove(upd, "promotionStarted", formatTime(p.Started), !p.Active() || p.Started.IsZero())
	upd = setOrRemove(upd, "promotionRouter", p.Router, !p.Active() || p.Router == "")
	upd = setOrRemove(upd, "router", app.Router, app.Router == "")
	upd = setOrRemove(upd, "scale", scaleRecords(app.Scale), len(app.Scale) == 0)
	k := key(appPartition(app.Name), appSortKey)
	item, err := s.update(ctx, k, upd, versioned(app.Version, string(from)))
	if err != nil {
		return rack.App{}, fmt.Errorf("update app %s: %w", app.Name, err)
	}
	if item == nil {
		return rack.App{}, s.staleError(ctx, k, fmt.Sprintf("app %s", app.Name))
	}
	written, err := decodeApp(item)
	if err != nil {
		return rack.App{}, fmt.Errorf("update app %s: %w", app.Name, err)
	}
	return written, nil
}

// setOrRemove sets an attribute, or removes it when its value is empty
// (DynamoDB rejects some empty values, and absent reads back as empty).
func setOrRemove(upd expression.UpdateBuilder, name string, value any, empty bool) expression.UpdateBuilder {
	if empty {
		return upd.Remove(expression.Name(name))
	}
	return upd.Set(expression.Name(name), expression.Value(value))
}

// staleError explains a failed versioned write: the item is gone, or it has
// moved on since it was read.
func (s *Store) staleError(ctx context.Context, k map[string]types.AttributeValue, what string) error {
	item, err := s.get(ctx, k)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if item == nil {
		return rack.Errorf(rack.ENOTFOUND, "%s not found", what)
	}
	return rack.Errorf(rack.ECONFLICT, "%s was changed by someone else; read it again and retry", what)
}

// DeleteApp deletes an app and everything kept under it. It first marks the
// app deleting, which stops new builds and releases, then deletes the app's
// items and the app last, so an interrupted delete leaves an app that a
// retry finishes deleting.
func (s *Store) DeleteApp(ctx context.Context, name string) error {
	k := key(appPartition(name), appSortKey)
	upd := expression.
		Set(expression.Name("status"), expression.Value(string(rack.AppDeleting))).
		Set(expression.Name("version"), expression.Name("version").Plus(expression.Value(1)))
	item, err := s.update(ctx, k, upd, exists())
	if err != nil {
		return fmt.Errorf("delete app %s: %w", name, err)
	}
	if item == nil {
		return rack.NotFound("app", name)
	}
	if err := s.deletePartition(ctx, appPartition(name), appSortKey); err != nil {
		return fmt.Errorf("delete app %s: %w", name, err)
	}
	if _, err := s.remove(ctx, k, exists()); err != nil {
		return fmt.Errorf("delete app %s: %w", name, err)
	}
	return nil
}

// batchSize is BatchWriteItem's limit.
const batchSize = 25

// deletePartition deletes every item of a partition but the one with sort
// key keep.
func (s *Store) deletePartition(ctx context.Context, pk, keep string) error {
	var start map[string]types.AttributeValue
	for {
		expr, err := expression.NewBuilder().
			WithKeyCondition(expression.Key(names.TablePartitionKey).Equal(expression.Value(pk))).
			WithProjection(expression.NamesList(expression.Name(names.TablePartitionKey), expression.Name(names.TableSortKey))).
			Build()
		if err != nil {
			return err
		}
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    expr.KeyCondition(),
			ProjectionExpression:      expr.Projection(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return err
		}
		var deletes []types.WriteRequest
		for _, item := range out.Items {
			if sk, ok := item[names.TableSortKey].(*types.AttributeValueMemberS); ok && sk.Value == keep {
				continue
			}
			deletes = append(deletes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: item}})
		}
		for len(deletes) > 0 {
			n := min(batchSize, len(deletes))
			if err := s.batchWrite(ctx, deletes[:n]); err != nil {
				return err
			}
			deletes = deletes[n:]
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}

// batchWrite writes one batch, retrying what DynamoDB leaves unprocessed
// with a growing pause.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	pause := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: reqs},
		})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[s.table]
		if len(reqs) == 0 {
			return nil
		}
		if attempt == 8 {
			return fmt.Errorf("%d items still unprocessed after %d attempts", len(reqs), attempt+1)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause *= 2
	}
}
