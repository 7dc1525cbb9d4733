// Package dynamo keeps the rack's state in one DynamoDB table.
//
// Every item lives under a partition (an app, a setting, an idempotency key)
// and every change is a conditional write: creates fail when the item
// exists, updates name the version and status they expect, and a build or
// release is created in a transaction that checks its app. Lists read the
// table's list index and page with an opaque cursor.
package dynamo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store is the rack's state in a DynamoDB table.
type Store struct {
	db    API
	table string
	now   rack.Clock
}

var _ rack.Store = (*Store)(nil)

// New returns a store over the named table. A nil clock means the system's.
func New(db API, tableName string, now rack.Clock) *Store {
	if now == nil {
		now = rack.SystemClock
	}
	return &Store{db: db, table: tableName, now: now}
}

// key returns a primary key.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		names.TablePartitionKey: &types.AttributeValueMemberS{Value: pk},
		names.TableSortKey:      &types.AttributeValueMemberS{Value: sk},
	}
}

// get reads one item with a strongly consistent read; a missing item is
// returned as nil.
func (s *Store) get(ctx context.Context, k map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            k,
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// writeAttribute holds a random id of the write that last changed an item.
// The SDK retries a request whose answer was lost, and a conditional write
// that succeeded the first time fails its condition on the retry; finding
// its own write id in the item tells the store that the write did happen.
const writeAttribute = "wid"

func newWriteID() string { return rand.Text() }

// ownWrite reports whether the item at k was last written by write id wid.
func (s *Store) ownWrite(ctx context.Context, k map[string]types.AttributeValue, wid string) (map[string]types.AttributeValue, bool, error) {
	item, err := s.get(ctx, k)
	if err != nil || item == nil {
		return nil, false, err
	}
	v, ok := item[writeAttribute].(*types.AttributeValueMemberS)
	return item, ok && v.Value == wid, nil
}

// keyOf returns the primary key attributes of item.
func keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{names.TablePartitionKey: item[names.TablePartitionKey], names.TableSortKey: item[names.TableSortKey]}
}

// put writes item under cond; it reports false when the condition failed.
func (s *Store) put(ctx context.Context, item map[string]types.AttributeValue, cond expression.ConditionBuilder) (bool, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return false, err
	}
	wid := newWriteID()
	item[writeAttribute] = &types.AttributeValueMemberS{Value: wid}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	ok, err := conditionOK(err)
	if ok || err != nil {
		return ok, err
	}
	_, mine, err := s.ownWrite(ctx, keyOf(item), wid)
	return mine, err
}

// update applies upd under cond and returns the item as written, or nil when
// the condition failed.
func (s *Store) update(ctx context.Context, k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (map[string]types.AttributeValue, error) {
	wid := newWriteID()
	upd = upd.Set(expression.Name(writeAttribute), expression.Value(wid))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       k,
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	ok, err := conditionOK(err)
	switch {
	case err != nil:
		return nil, err
	case ok:
		return out.Attributes, nil
	}
	item, mine, err := s.ownWrite(ctx, k, wid)
	if err != nil || !mine {
		return nil, err
	}
	return item, nil
}

// remove deletes an item under cond; it reports false when the condition
// failed.
func (s *Store) remove(ctx context.Context, k map[string]types.AttributeValue, cond expression.ConditionBuilder) (bool, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return false, err
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       k,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	return conditionOK(err)
}

// conditionOK turns a failed condition into false, and passes any other
// error on.
func conditionOK(err error) (bool, error) {
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ccf):
		return false, nil
	}
	return false, err
}

// exists is the condition that the item is there.
func exists() expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(names.TablePartitionKey))
}

// absent is the condition that the item is not there.
func absent() expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name(names.TablePartitionKey))
}

// versioned is the condition that the item is there at version v with the
// given status.
func versioned(v int64, status string) expression.ConditionBuilder {
	return exists().
		And(expression.Name("version").Equal(expression.Value(v))).
		And(expression.Name("status").Equal(expression.Value(status)))
}

// timeFormat has a fixed width so that times compare as strings, in
// conditions and in sort keys.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", s, err)
	}
	return t, nil
}

// parseTimes parses formatted times into their destinations.
func parseTimes(times map[*time.Time]string) error {
	for dst, src := range times {
		t, err := parseTime(src)
		if err != nil {
			return err
		}
		*dst = t
	}
	return nil
}

// unmarshal decodes an item into a record.
func unmarshal[T any](item map[string]types.AttributeValue) (T, error) {
	var r T
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return r, fmt.Errorf("decode item: %w", err)
	}
	return r, nil
}

// marshal encodes a record and adds the given key attributes.
func marshal(r any, keys map[string]string) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(r)
	if err != nil {
		return nil, fmt.Errorf("encode item: %w", err)
	}
	for k, v := range keys {
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	return item, nil
}

// ttlValue is an epoch-seconds attribute for DynamoDB's time to live.
func ttlValue(t time.Time) types.AttributeValue {
	// A second past the expiry, so TTL never removes a record its own
	// condition still counts as live.
	return &types.AttributeValueMemberN{Value: fmt.Sprint(t.Unix() + 1)}
}
