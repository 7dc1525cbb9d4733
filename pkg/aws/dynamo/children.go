package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// A child is an item kept in an app's partition and listed newest first:
// a build or a release. Both follow the same rules, written once here.
type child struct {
	kind   string // "build", "release": for messages
	prefix string // sort key prefix
}

var (
	builds   = child{kind: "build", prefix: buildKeyPrefix}
	releases = child{kind: "release", prefix: releaseKeyPrefix}
)

func (c child) key(app, id string) map[string]types.AttributeValue {
	return key(appPartition(app), c.prefix+id)
}

// listPartition is the list index partition of an app's children.
func (c child) listPartition(app string) string {
	return appPartition(app) + "#" + c.prefix
}

func (c child) name(app, id string) string {
	return fmt.Sprintf("%s %s of app %s", c.kind, id, app)
}

// keys returns the key attributes of a new child. The list sort key starts
// with the creation time, so the index orders children by age; the id
// breaks ties.
func (c child) keys(app, id, created string) map[string]string {
	return map[string]string{
		names.TablePartitionKey:     appPartition(app),
		names.TableSortKey:          c.prefix + id,
		names.ListIndexPartitionKey: c.listPartition(app),
		names.ListIndexSortKey:      created + "#" + id,
	}
}

// createChild writes a new child in a transaction that checks that its
// app exists and is not being deleted. With parent (a release's), the
// transaction also makes the child the app's latest, if the app's latest
// is still *parent ("" for none).
func (s *Store) createChild(ctx context.Context, c child, app, id string, item map[string]types.AttributeValue, parent *string) error {
	live := exists().And(expression.Name("status").NotEqual(expression.Value(string(rack.AppDeleting))))
	if parent != nil {
		if *parent == "" {
			live = live.And(expression.AttributeNotExists(expression.Name("latest")))
		} else {
			live = live.And(expression.Name("latest").Equal(expression.Value(*parent)))
		}
	}
	putCond, err := expression.NewBuilder().WithCondition(absent()).Build()
	if err != nil {
		return err
	}
	wid := newWriteID()
	item[writeAttribute] = &types.AttributeValueMemberS{Value: wid}
	appItem := types.TransactWriteItem{}
	if parent == nil {
		cond, err := expression.NewBuilder().WithCondition(live).Build()
		if err != nil {
			return err
		}
		appItem.ConditionCheck = &types.ConditionCheck{
			TableName: aws.String(s.table), Key: key(appPartition(app), appSortKey),
			ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
		}
	} else {
		upd, err := expression.NewBuilder().WithCondition(live).
			WithUpdate(expression.Set(expression.Name("latest"), expression.Value(id))).Build()
		if err != nil {
			return err
		}
		appItem.Update = &types.Update{
			TableName: aws.String(s.table), Key: key(appPartition(app), appSortKey),
			ConditionExpression: upd.Condition(), UpdateExpression: upd.Update(),
			ExpressionAttributeNames: upd.Names(), ExpressionAttributeValues: upd.Values(),
		}
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			appItem,
			{Put: &types.Put{
				TableName:                 aws.String(s.table),
				Item:                      item,
				ConditionExpression:       putCond.Condition(),
				ExpressionAttributeNames:  putCond.Names(),
				ExpressionAttributeValues: putCond.Values(),
			}},
		},
	})
	var canceled *types.TransactionCanceledException
	if err == nil || !errors.As(err, &canceled) {
		return err
	}
	// Which condition failed: read the items rather than trust the
	// cancellation reasons, which not every DynamoDB-compatible service
	// fills. First: a retry of a transaction that went through finds its
	// own write.
	existing, mine, err := s.ownWrite(ctx, c.key(app, id), wid)
	switch {
	case err != nil:
		return err
	case mine:
		return nil
	}
	appItemNow, err := s.get(ctx, key(appPartition(app), appSortKey))
	if err != nil {
		return err
	}
	if appItemNow == nil {
		return rack.NotFound("app", app)
	}
	a, derr := decodeApp(appItemNow)
	if derr == nil && a.Status == rack.AppDeleting {
		return rack.Errorf(rack.ECONFLICT, "app %s is being deleted", app)
	}
	if existing != nil {
		return rack.Errorf(rack.ECONFLICT, "%s already exists", c.name(app, id))
	}
	if derr == nil && parent != nil && a.Latest != *parent {
		return staleParent(app, *parent, a.Latest)
	}
	return fmt.Errorf("transaction canceled: %w", canceled)
}

// staleParent is the error of a release made from a parent that is no
// longer its app's latest.
func staleParent(app, parent, latest string) error {
	return rack.StaleParent(app, parent, latest)
}

// getChild reads one child, or fails with ENOTFOUND.
func (s *Store) getChild(ctx context.Context, c child, app, id string) (map[string]types.AttributeValue, error) {
	item, err := s.get(ctx, c.key(app, id))
	if err != nil {
		return nil, err
	}
	if item == nil {
		return nil, rack.NotFound(c.kind, id)
	}
	return item, nil
}

// updateChild applies upd if the stored child is at version with status from.
func (s *Store) updateChild(ctx context.Context, c child, app, id string, version int64, from string, upd expression.UpdateBuilder) (map[string]types.AttributeValue, error) {
	upd = upd.
		Set(expression.Name("updated"), expression.Value(formatTime(s.now()))).
		Set(expression.Name("version"), expression.Value(version+1))
	k := c.key(app, id)
	item, err := s.update(ctx, k, upd, versioned(version, from))
	if err != nil {
		return nil, err
	}
	if item == nil {
		return nil, s.staleError(ctx, k, c.name(app, id))
	}
	return item, nil
}

// listChildren lists an app's children newest first, decoding each item.
func listChildren[T any](ctx context.Context, s *Store, c child, app string, page rack.Page, decode func(map[string]types.AttributeValue) (T, error)) ([]T, string, error) {
	items, next, err := s.list(ctx, c.listPartition(app), false, page)
	if err != nil {
		return nil, "", fmt.Errorf("list %ss of app %s: %w", c.kind, app, err)
	}
	out := make([]T, 0, len(items))
	for _, item := range items {
		v, err := decode(item)
		if err != nil {
			return nil, "", fmt.Errorf("list %ss of app %s: %w", c.kind, app, err)
		}
		out = append(out, v)
	}
	return out, next, nil
}
