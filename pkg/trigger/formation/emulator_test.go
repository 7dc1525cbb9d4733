package formation_test

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
	ecrapi "github.com/aws/aws-sdk-go-v2/service/ecr"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	ssmapi "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/aws/kms"
	rackssm "github.com/rackhq/rack/pkg/aws/ssm"
	"github.com/rackhq/rack/pkg/names"
	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/emulatortest"
	"github.com/rackhq/rack/pkg/trigger/formation"
	"github.com/rackhq/rack/pkg/trigger/formation/migrate"
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
	name := emulatortest.Name("formation")
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
	rs := formation.Resources{formation.TypeEmptyBucket: formation.EmptyBucket(client)}
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
			_, err := rs.Dispatch(t.Context(), request(cfn.RequestDelete, formation.TypeEmptyBucket, bucket,
				map[string]any{"BucketName": bucket, "MaxKeysPerBatch": "7"}, nil))
			require.NoError(t, err)
			t.Logf("emptied %d entries in %s on the %s", want, time.Since(start).Round(time.Millisecond), emulatortest.String())
			require.Zero(t, listAll(t, client, bucket))
			_, err = client.DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			require.NoError(t, err, "an emptied bucket can be deleted")

			// And once the bucket is gone, emptying it again succeeds.
			_, err = rs.Dispatch(t.Context(), request(cfn.RequestDelete, formation.TypeEmptyBucket, bucket, map[string]any{"BucketName": bucket}, nil))
			require.NoError(t, err)
		})
	}
}

// pushImage puts image n into repo under each tag, untagged without one.
func pushImage(t *testing.T, client *ecrapi.Client, repo string, n int, tags ...string) {
	t.Helper()
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%064d"},"layers":[]}`, n, n)
	if len(tags) == 0 {
		tags = []string{""}
	}
	for _, tag := range tags {
		in := &ecrapi.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(manifest)}
		if tag != "" {
			in.ImageTag = aws.String(tag)
		}
		_, err := client.PutImage(t.Context(), in)
		require.NoError(t, err)
	}
}

// TestEmptyRepositoryOnEmulator deletes every image of a repository, which
// the emulator, like ECR, then lets go without force.
func TestEmptyRepositoryOnEmulator(t *testing.T) {
	client := ecrapi.NewFromConfig(emulatortest.Config(t))
	rs := formation.Resources{formation.TypeEmptyRepository: formation.EmptyRepository(client)}
	repo := "rack-test/" + emulatortest.Name("app")
	_, err := client.CreateRepository(t.Context(), &ecrapi.CreateRepositoryInput{RepositoryName: aws.String(repo)})
	emulatortest.Created(t, err)
	t.Cleanup(func() {
		_, _ = client.DeleteRepository(context.Background(), &ecrapi.DeleteRepositoryInput{RepositoryName: aws.String(repo), Force: true})
	})
	for i := range 12 {
		switch i % 3 {
		case 0:
			pushImage(t, client, repo, i)
		case 1:
			pushImage(t, client, repo, i, fmt.Sprintf("B%02d", i))
		default:
			pushImage(t, client, repo, i, fmt.Sprintf("B%02d", i), fmt.Sprintf("R%02d", i))
		}
	}
	out, err := client.ListImages(t.Context(), &ecrapi.ListImagesInput{RepositoryName: aws.String(repo)})
	require.NoError(t, err)
	require.NotEmpty(t, out.ImageIds)

	_, err = rs.Dispatch(t.Context(), request(cfn.RequestDelete, formation.TypeEmptyRepository, repo, map[string]any{"RepositoryName": repo}, nil))
	require.NoError(t, err)
	out, err = client.ListImages(t.Context(), &ecrapi.ListImagesInput{RepositoryName: aws.String(repo)})
	require.NoError(t, err)
	require.Empty(t, out.ImageIds)
	_, err = client.DeleteRepository(t.Context(), &ecrapi.DeleteRepositoryInput{RepositoryName: aws.String(repo)})
	require.NoError(t, err, "an emptied repository can be deleted without force")

	_, err = rs.Dispatch(t.Context(), request(cfn.RequestDelete, formation.TypeEmptyRepository, repo, map[string]any{"RepositoryName": repo}, nil))
	require.NoError(t, err, "a repository already gone is empty")
}

// TestHandlerOnEmulator runs the whole Handler over the emulator's SSM,
// DynamoDB and KMS: a RackPassword's life, replayed, with the answer
// remembered in the rack table, sealed.
func TestHandlerOnEmulator(t *testing.T) {
	cfg := emulatortest.Config(t)
	db, ssm, kmsClient := dynamodb.NewFromConfig(cfg), ssmapi.NewFromConfig(cfg), awskms.NewFromConfig(cfg)
	table := emulatortest.NewTable(t, db)
	key, err := kmsClient.CreateKey(t.Context(), &awskms.CreateKeyInput{Description: aws.String("formation test")})
	require.NoError(t, err)
	store := dynamo.New(db, table, nil)
	param := "/rack/" + emulatortest.Name("formation") + "/password-hash"
	t.Cleanup(func() {
		_, _ = ssm.DeleteParameter(context.Background(), &ssmapi.DeleteParameterInput{Name: aws.String(param)})
	})
	srv := newResponseServer(t)
	h := formation.New(formation.Config{
		Resources: formation.RackResources(formation.Deps{Parameters: rackssm.NewParameters(ssm), Hasher: cheap, Store: store}),
		Answers:   store,
		Sealer:    kms.New(kmsClient, aws.ToString(key.KeyMetadata.KeyId)),
	})
	handle := func(ev cfn.Event) cfn.Response {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		n := len(srv.received())
		require.NoError(t, h.Handle(ctx, encode(t, ev)))
		answers := srv.answers(t)
		require.Len(t, answers, n+1)
		return answers[n]
	}

	create := newEvent(cfn.RequestCreate, formation.TypeRackPassword, "", srv.url("c"), map[string]any{"ParameterName": param})
	create.RequestID = emulatortest.Name("create")
	first := handle(create)
	require.Equal(t, cfn.StatusSuccess, first.Status, first.Reason)
	require.True(t, first.NoEcho)
	password := first.Data[formation.AttributePassword].(string)
	out, err := ssm.GetParameter(t.Context(), &ssmapi.GetParameterInput{Name: aws.String(param), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	hash := aws.ToString(out.Parameter.Value)
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)))

	// A replay answers the same password and sets no new hash.
	require.Equal(t, first, handle(create))
	out, err = ssm.GetParameter(t.Context(), &ssmapi.GetParameterInput{Name: aws.String(param), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Equal(t, hash, aws.ToString(out.Parameter.Value))

	// The table holds the answer sealed, nothing readable.
	item, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: dynamoKey("IDEMPOTENCY#"+formation.AnswerKey(create), "IDEMPOTENCY")})
	require.NoError(t, err)
	require.NotEmpty(t, item.Item)
	require.NotContains(t, fmt.Sprint(item.Item), password)

	del := newEvent(cfn.RequestDelete, formation.TypeRackPassword, param, srv.url("d"), map[string]any{"ParameterName": param})
	del.RequestID = emulatortest.Name("delete")
	require.Equal(t, cfn.StatusSuccess, handle(del).Status)
	_, err = ssm.GetParameter(t.Context(), &ssmapi.GetParameterInput{Name: aws.String(param)})
	require.Error(t, err, "the parameter is deleted")
	del.RequestID = emulatortest.Name("delete-again")
	require.Equal(t, cfn.StatusSuccess, handle(del).Status, "deleting it again succeeds")

	// Deleting with no table at all (the rack stack's own may be gone).
	gone := formation.New(formation.Config{
		Resources: formation.RackResources(formation.Deps{Parameters: rackssm.NewParameters(ssm), Hasher: cheap, Store: store}),
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
