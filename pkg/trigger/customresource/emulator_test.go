package customresource_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/trigger/customresource"
	"github.com/rackhq/rack/pkg/trigger/customresource/migrate"
)

// dynamoKey is the primary key of a rack table item.
func dynamoKey(pk, sk string) map[string]dbtypes.AttributeValue {
	return map[string]dbtypes.AttributeValue{
		names.TablePartitionKey: &dbtypes.AttributeValueMemberS{Value: pk},
		names.TableSortKey:      &dbtypes.AttributeValueMemberS{Value: sk},
	}
}

// newBucket makes a bucket on the emulator, versioned if asked, and
// removes whatever is left of it when the test ends.
func newBucket(t *testing.T, client *s3.Client, versioned bool) string {
	t.Helper()
	name := emulatortest.Name("customresources")
	_, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	emulatortest.Created(t, err)
	if versioned {
		_, err = client.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
		})
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(name)})
	})
	return name
}

func putObject(t *testing.T, client *s3.Client, bucket, key, body string) {
	t.Helper()
	_, err := client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	require.NoError(t, err)
}

// listAll counts a bucket's object versions and delete markers.
func listAll(t *testing.T, client *s3.Client, bucket string) int {
	t.Helper()
	out, err := client.ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	return len(out.Versions) + len(out.DeleteMarkers)
}

// TestEmptyBucketOnEmulator empties versioned and unversioned buckets on
// the emulator's S3, in batches smaller than their contents.
func TestEmptyBucketOnEmulator(t *testing.T) {
	client := s3.NewFromConfig(emulatortest.Config(t))
	rs := customresource.Resources{customresource.TypeEmptyBucket: customresource.EmptyBucket(client)}
	for _, versioned := range []bool{true, false} {
		t.Run(fmt.Sprintf("versioned=%t", versioned), func(t *testing.T) {
			bucket := newBucket(t, client, versioned)
			for i := range 20 {
				key := fmt.Sprintf("sources/%02d.tgz", i)
				putObject(t, client, bucket, key, "one")
				putObject(t, client, bucket, key, "two")
				if i%4 == 0 {
					_, err := client.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
					require.NoError(t, err)
				}
			}
			want := 15 // five deleted
			if versioned {
				want = 45 // two versions each, and five delete markers
			}
			require.Equal(t, want, listAll(t, client, bucket))

			start := time.Now()
			_, err := rs.Dispatch(t.Context(), request(cfn.RequestDelete, customresource.TypeEmptyBucket, bucket,
				map[string]any{"BucketName": bucket, "MaxKeysPerBatch": "7"}, nil))
			require.NoError(t, err)
			t.Logf("emptied %d entries in %s on the %s", want, time.Since(start).Round(time.Millisecond), emulatortest.String())
			require.Zero(t, listAll(t, client, bucket))
			_, err = client.DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			require.NoError(t, err, "an emptied bucket can be deleted")

			// And once the bucket is gone, emptying it again succeeds.
			_, err = rs.Dispatch(t.Context(), request(cfn.RequestDelete, customresource.TypeEmptyBucket, bucket, map[string]any{"BucketName": bucket}, nil))
			require.NoError(t, err)
		})
	}
}

// TestHandlerOnEmulator runs the whole Handler over the emulator's
// DynamoDB and KMS: a RackPassword's life, replayed, with the hash and the
// answer kept in the rack table, both sealed.
func TestHandlerOnEmulator(t *testing.T) {
	cfg := emulatortest.Config(t)
	db, kmsClient := dynamodb.NewFromConfig(cfg), awskms.NewFromConfig(cfg)
	table := emulatortest.NewTable(t, db)
	key, err := kmsClient.CreateKey(t.Context(), &awskms.CreateKeyInput{Description: aws.String("custom resources test")})
	require.NoError(t, err)
	store := dynamo.New(db, table, nil)
	sealer := kms.New(kmsClient, aws.ToString(key.KeyMetadata.KeyId))
	hashes := auth.NewSettingHashes(store, sealer)
	srv := newResponseServer(t)
	h := customresource.New(customresource.Config{
		Resources: customresource.RackResources(customresource.Deps{Hashes: hashes, Hasher: cheap, Store: store}),
		Answers:   store,
		Sealer:    sealer,
	})
	handle := func(ev cfn.Event) cfn.Response {
		t.Helper()
		// No deadline: the watchdog is tested with an injected clock; here
		// the emulator may be as slow as the machine is loaded.
		n := len(srv.received())
		require.NoError(t, h.Handle(t.Context(), encode(t, ev)))
		answers := srv.answers(t)
		require.Len(t, answers, n+1)
		return answers[n]
	}

	create := newEvent(cfn.RequestCreate, customresource.TypeRackPassword, "", srv.url("c"), map[string]any{})
	create.RequestID = emulatortest.Name("create")
	first := handle(create)
	require.Equal(t, cfn.StatusSuccess, first.Status, first.Reason)
	require.True(t, first.NoEcho)
	password := first.Data[customresource.AttributePassword].(string)
	hash, err := hashes.PasswordHash(t.Context())
	require.NoError(t, err)
	require.NoError(t, bcrypt.CompareHashAndPassword(hash, []byte(password)))

	// A replay answers the same password and sets no new hash.
	require.Equal(t, first, handle(create))
	again, err := hashes.PasswordHash(t.Context())
	require.NoError(t, err)
	require.Equal(t, hash, again)

	// The table holds the answer and the hash sealed, nothing readable.
	for _, k := range []map[string]dbtypes.AttributeValue{
		dynamoKey("IDEMPOTENCY#"+customresource.AnswerKey(create), "IDEMPOTENCY"),
		dynamoKey("SETTING#"+names.PasswordHashSetting, "SETTING"),
	} {
		item, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: k})
		require.NoError(t, err)
		require.NotEmpty(t, item.Item)
		require.NotContains(t, fmt.Sprint(item.Item), password)
		require.NotContains(t, fmt.Sprint(item.Item), string(hash))
	}

	// A Delete leaves the hash to the table, and succeeds again.
	del := newEvent(cfn.RequestDelete, customresource.TypeRackPassword, names.PasswordHashSetting, srv.url("d"), map[string]any{})
	del.RequestID = emulatortest.Name("delete")
	require.Equal(t, cfn.StatusSuccess, handle(del).Status)
	del.RequestID = emulatortest.Name("delete-again")
	require.Equal(t, cfn.StatusSuccess, handle(del).Status, "deleting it again succeeds")

	// Deleting with no table at all (the rack stack's own may be gone).
	gone := customresource.New(customresource.Config{
		Resources: customresource.RackResources(customresource.Deps{Hashes: hashes, Hasher: cheap, Store: store}),
		Answers:   dynamo.New(db, emulatortest.Name("no-such-table"), nil),
	})
	del.RequestID = emulatortest.Name("delete-no-table")
	require.NoError(t, gone.Handle(t.Context(), encode(t, del)))
	require.Equal(t, cfn.StatusSuccess, srv.answers(t)[len(srv.received())-1].Status)
}

// TestMigrationsOnEmulator: concurrent runs against the rack table record
// each migration exactly once.
func TestMigrationsOnEmulator(t *testing.T) {
	db := dynamodb.NewFromConfig(emulatortest.Config(t))
	store := dynamo.New(db, emulatortest.NewTable(t, db), nil)
	var mu sync.Mutex
	runs := map[string]int{}
	var migrations []migrate.Migration
	for _, id := range []string{"2026-11-25-a", "2026-11-25-b", "2026-11-25-c"} {
		migrations = append(migrations, migrate.Migration{ID: id, Run: func(context.Context, rack.Store) error {
			mu.Lock()
			runs[id]++
			mu.Unlock()
			return nil
		}})
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := migrate.Run(t.Context(), store, migrations, "20261125", nil)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	for _, m := range migrations {
		st, err := store.GetSetting(t.Context(), migrate.SettingPrefix+m.ID)
		require.NoError(t, err)
		require.EqualValues(t, 1, st.Version, "recorded once")
		require.JSONEq(t, `{"version":"20261125"}`, string(st.Value))
		require.GreaterOrEqual(t, runs[m.ID], 1)
	}
	ran, err := migrate.Run(t.Context(), store, migrations, "20261126", nil)
	require.NoError(t, err)
	require.Empty(t, ran)
}
