package customresource_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/rackhq/rack/pkg/rack"
	"github.com/rackhq/rack/pkg/testkit/memstore"
	"github.com/rackhq/rack/pkg/trigger/customresource"
	"github.com/rackhq/rack/pkg/trigger/customresource/migrate"
)

// request is a request of the test stack for Dispatch.
func request(rt cfn.RequestType, resourceType, physicalID string, props, old map[string]any) customresource.Request {
	ev := newEvent(rt, resourceType, physicalID, "https://example.com/x", props)
	ev.OldResourceProperties = old
	return customresource.Request{Event: ev}
}

func TestEmptyBucket(t *testing.T) {
	const bucket = "dev-myapp-artifacts-1r8k3z0q7w2e"
	props := func(extra ...string) map[string]any {
		p := map[string]any{"BucketName": bucket}
		for i := 0; i < len(extra); i += 2 {
			p[extra[i]] = extra[i+1]
		}
		return p
	}

	t.Run("create and update name the bucket", func(t *testing.T) {
		rs := customresource.Resources{customresource.TypeEmptyBucket: customresource.EmptyBucket(newFakeS3())}
		res, err := rs.Dispatch(t.Context(), request(cfn.RequestCreate, customresource.TypeEmptyBucket, "", props(), nil))
		require.NoError(t, err)
		require.Equal(t, bucket, res.PhysicalID)
		res, err = rs.Dispatch(t.Context(), request(cfn.RequestUpdate, customresource.TypeEmptyBucket, bucket,
			map[string]any{"BucketName": "another-bucket"}, props()))
		require.NoError(t, err)
		require.Equal(t, "another-bucket", res.PhysicalID, "another bucket replaces the resource")
	})

	t.Run("delete empties every version", func(t *testing.T) {
		s3 := newFakeS3()
		for i := range 25 {
			s3.put(bucket, fmt.Sprintf("objects/%03d", i), 3, i%5 == 0)
		}
		s3.put("other-bucket", "keep", 1, false)
		rs := customresource.Resources{customresource.TypeEmptyBucket: customresource.EmptyBucket(s3)}
		_, err := rs.Dispatch(t.Context(), request(cfn.RequestDelete, customresource.TypeEmptyBucket, bucket, props("MaxKeysPerBatch", "10"), nil))
		require.NoError(t, err)
		require.Zero(t, s3.count(bucket))
		require.Equal(t, 1, s3.count("other-bucket"))
		require.Equal(t, 8, s3.deletes, "75 versions, 10 at a time")
	})

	t.Run("delete of a bucket already gone", func(t *testing.T) {
		rs := customresource.Resources{customresource.TypeEmptyBucket: customresource.EmptyBucket(newFakeS3())}
		_, err := rs.Dispatch(t.Context(), request(cfn.RequestDelete, customresource.TypeEmptyBucket, bucket, props(), nil))
		require.NoError(t, err)
	})

	t.Run("EmptyOnDelete false keeps the objects", func(t *testing.T) {
		s3 := newFakeS3()
		s3.put(bucket, "a", 1, false)
		rs := customresource.Resources{customresource.TypeEmptyBucket: customresource.EmptyBucket(s3)}
		_, err := rs.Dispatch(t.Context(), request(cfn.RequestDelete, customresource.TypeEmptyBucket, bucket, props("EmptyOnDelete", "false"), nil))
		require.NoError(t, err)
		require.Equal(t, 1, s3.count(bucket))
	})

	t.Run("failures", func(t *testing.T) {
		for name, tc := range map[string]struct {
			setup  func(*fakeS3)
			reason string
		}{
			"object refused": {func(s *fakeS3) { s.refuse["a"] = true }, `the first "a": AccessDenied`},
			"list fails":     {func(s *fakeS3) { s.listErr = &smithy.GenericAPIError{Code: "AccessDenied"} }, "list objects"},
			"never empties":  {func(s *fakeS3) { s.ignoreDeletes = true }, "still listed"},
		} {
			t.Run(name, func(t *testing.T) {
				s3 := newFakeS3()
				s3.put(bucket, "a", 2, false)
				tc.setup(s3)
				rs := customresource.Resources{customresource.TypeEmptyBucket: customresource.EmptyBucket(s3)}
				res, err := rs.Dispatch(t.Context(), request(cfn.RequestDelete, customresource.TypeEmptyBucket, bucket, props(), nil))
				require.ErrorContains(t, err, tc.reason)
				require.ErrorContains(t, err, bucket)
				require.Equal(t, bucket, res.PhysicalID)
			})
		}
	})

	t.Run("bad properties", func(t *testing.T) {
		rs := customresource.Resources{customresource.TypeEmptyBucket: customresource.EmptyBucket(newFakeS3())}
		for _, tc := range []struct {
			props  map[string]any
			reason string
		}{
			{map[string]any{}, "property BucketName: is required"},
			{map[string]any{"BucketName": "Not_A_Bucket"}, `property BucketName: "Not_A_Bucket" is not an S3 bucket name`},
			{map[string]any{"BucketName": 12.0}, "property BucketName: is a number, not a string"},
			{props("MaxKeysPerBatch", "0"), "property MaxKeysPerBatch: 0 is not between 1 and 1000"},
			{props("MaxKeysPerBatch", "ten"), `property MaxKeysPerBatch: "ten" is not a whole number`},
			{props("EmptyOnDelete", "yes"), `property EmptyOnDelete: "yes" is neither true nor false`},
		} {
			res, err := rs.Dispatch(t.Context(), request(cfn.RequestCreate, customresource.TypeEmptyBucket, "", tc.props, nil))
			require.ErrorContains(t, err, tc.reason)
			require.True(t, customresource.NeverCreated(res.PhysicalID))
		}
	})
}

func TestRackPassword(t *testing.T) {
	rt := customresource.TypeRackPassword
	const physical = "password-hash"

	t.Run("create generates a password", func(t *testing.T) {
		hashes := &fakeHashes{}
		rs := customresource.Resources{rt: customresource.RackPassword(cheapPasswords(hashes))}
		res, err := rs.Dispatch(t.Context(), request(cfn.RequestCreate, rt, "", map[string]any{}, nil))
		require.NoError(t, err)
		require.Equal(t, physical, res.PhysicalID)
		require.True(t, res.Secret)
		password := res.Data[customresource.AttributePassword].(string)
		require.Len(t, password, 32)
		hashes.matches(t, password)
		require.NotContains(t, string(hashes.hash), password)
	})

	t.Run("create with a password, replaying over an existing hash", func(t *testing.T) {
		hashes := &fakeHashes{hash: []byte("$2a$04$old")}
		rs := customresource.Resources{rt: customresource.RackPassword(cheapPasswords(hashes))}
		res, err := rs.Dispatch(t.Context(), request(cfn.RequestCreate, rt, "", map[string]any{"Password": "given"}, nil))
		require.NoError(t, err)
		require.Equal(t, "given", res.Data[customresource.AttributePassword])
		hashes.matches(t, "given")
	})

	t.Run("update", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			props, old map[string]any
			noHash     bool
			puts       int
			password   string // the password that works afterwards ("": a generated one)
			data       string // the Password attribute answered ("-": none)
		}{
			{"password unchanged", map[string]any{"Password": "first"}, map[string]any{"Password": "first"}, false, 0, "first", "first"},
			{"password changed", map[string]any{"Password": "second"}, map[string]any{"Password": "first"}, false, 1, "second", "second"},
			{"password removed keeps it", map[string]any{}, map[string]any{"Password": "first"}, false, 0, "first", "-"},
			{"rollback from old-format properties", map[string]any{"Password": "first"}, map[string]any{"Password": 7.0}, false, 1, "first", "first"},
			{"from a template that named an SSM parameter", map[string]any{}, map[string]any{"ParameterName": "/rack/dev/password-hash"}, false, 0, "first", "-"},
			{"a rack without a hash gets one", map[string]any{}, map[string]any{"ParameterName": "/rack/dev/password-hash"}, true, 1, "", ""},
			{"a rack without a hash takes the given one", map[string]any{"Password": "first"}, map[string]any{"Password": "first"}, true, 1, "first", "first"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				hashes := &fakeHashes{}
				if !tc.noHash {
					hash, err := cheap.Hash("first")
					require.NoError(t, err)
					hashes.hash = hash
				}
				rs := customresource.Resources{rt: customresource.RackPassword(cheapPasswords(hashes))}
				res, err := rs.Dispatch(t.Context(), request(cfn.RequestUpdate, rt, physical, tc.props, tc.old))
				require.NoError(t, err)
				require.Equal(t, tc.puts, hashes.puts)
				require.Equal(t, physical, res.PhysicalID)
				require.True(t, res.Secret)
				switch tc.data {
				case "-":
					require.NotContains(t, res.Data, customresource.AttributePassword)
				case "":
					generated := res.Data[customresource.AttributePassword].(string)
					require.Len(t, generated, 32)
					hashes.matches(t, generated)
				default:
					require.Equal(t, tc.data, res.Data[customresource.AttributePassword])
				}
				if tc.password != "" {
					hashes.matches(t, tc.password)
				}
			})
		}
	})

	t.Run("delete, twice, leaves the hash to the table", func(t *testing.T) {
		hashes := &fakeHashes{hash: []byte("$2a$04$x")}
		rs := customresource.Resources{rt: customresource.RackPassword(cheapPasswords(hashes))}
		for range 2 {
			_, err := rs.Dispatch(t.Context(), request(cfn.RequestDelete, rt, physical, map[string]any{}, nil))
			require.NoError(t, err)
		}
		require.Zero(t, hashes.puts)
	})

	t.Run("failures never show the password", func(t *testing.T) {
		hashes := &fakeHashes{}
		rs := customresource.Resources{rt: customresource.RackPassword(cheapPasswords(hashes))}
		long := strings.Repeat("s3cret", 20)
		for _, tc := range []struct {
			props  map[string]any
			reason string
		}{
			{map[string]any{"Password": long}, "property Password: password is longer than 72 bytes"},
			{map[string]any{"Password": map[string]any{"s3cret": "s3cret"}}, "property Password: is a map, not a string"},
		} {
			res, err := rs.Dispatch(t.Context(), request(cfn.RequestCreate, rt, "", tc.props, nil))
			require.ErrorContains(t, err, tc.reason)
			require.NotContains(t, err.Error(), "s3cret")
			require.True(t, customresource.NeverCreated(res.PhysicalID))
		}
		hashes.putErr = errors.New("ProvisionedThroughputExceededException: Rate exceeded")
		_, err := rs.Dispatch(t.Context(), request(cfn.RequestCreate, rt, "", map[string]any{"Password": "s3cret"}, nil))
		require.ErrorContains(t, err, "Rate exceeded")
		require.NotContains(t, err.Error(), "s3cret")
	})
}

func TestRackMigration(t *testing.T) {
	rt := customresource.TypeRackMigration
	var order []string
	migration := func(id string, err error) migrate.Migration {
		return migrate.Migration{ID: id, Run: func(context.Context, rack.Store) error {
			order = append(order, id)
			return err
		}}
	}

	store := memstore.New(nil)
	rs := customresource.Resources{rt: customresource.RackMigration(store, []migrate.Migration{migration("one", nil), migration("two", nil)}, nil)}
	res, err := rs.Dispatch(t.Context(), request(cfn.RequestCreate, rt, "", map[string]any{"Version": "20261125"}, nil))
	require.NoError(t, err)
	require.Equal(t, "dev-"+logicalID, res.PhysicalID)
	require.Equal(t, map[string]any{"Version": "20261125", "Ran": "2"}, res.Data)
	require.Equal(t, []string{"one", "two"}, order)
	st, err := store.GetSetting(t.Context(), "migration/one")
	require.NoError(t, err)
	require.JSONEq(t, `{"version":"20261125"}`, string(st.Value))

	// A new version with a new migration runs only that one.
	order = nil
	rs = customresource.Resources{rt: customresource.RackMigration(store, []migrate.Migration{migration("one", nil), migration("two", nil), migration("three", nil)}, nil)}
	res, err = rs.Dispatch(t.Context(), request(cfn.RequestUpdate, rt, res.PhysicalID, map[string]any{"Version": "20261201"}, map[string]any{"Version": "20261125"}))
	require.NoError(t, err)
	require.Equal(t, "dev-"+logicalID, res.PhysicalID)
	require.Equal(t, []string{"three"}, order)

	// The same version (another property changed) runs nothing.
	order = nil
	rs = customresource.Resources{rt: customresource.RackMigration(store, []migrate.Migration{migration("four", nil)}, nil)}
	_, err = rs.Dispatch(t.Context(), request(cfn.RequestUpdate, rt, res.PhysicalID, map[string]any{"Version": "20261201", "X": "1"}, map[string]any{"Version": "20261201"}))
	require.NoError(t, err)
	require.Empty(t, order)

	// A failure stops the run: later migrations wait for it.
	order = nil
	rs = customresource.Resources{rt: customresource.RackMigration(store, []migrate.Migration{migration("five", errors.New("no")), migration("six", nil)}, nil)}
	_, err = rs.Dispatch(t.Context(), request(cfn.RequestUpdate, rt, res.PhysicalID, map[string]any{"Version": "3"}, map[string]any{"Version": "2"}))
	require.ErrorContains(t, err, "migration five: no")
	require.Equal(t, []string{"five"}, order)
	_, err = store.GetSetting(t.Context(), "migration/five")
	require.Equal(t, rack.ENOTFOUND, rack.ErrorCode(err))

	// Delete does nothing.
	_, err = rs.Dispatch(t.Context(), request(cfn.RequestDelete, rt, res.PhysicalID, map[string]any{"Version": "3"}, nil))
	require.NoError(t, err)

	_, err = rs.Dispatch(t.Context(), request(cfn.RequestCreate, rt, "", map[string]any{}, nil))
	require.ErrorContains(t, err, "property Version: is required")
}

func TestProperties(t *testing.T) {
	p := customresource.Properties{"s": "x", "empty": "", "t": "TRUE", "f": false, "n": "42", "fn": 7.0, "frac": 1.5, "list": []any{}}
	s, err := p.String("s")
	require.NoError(t, err)
	require.Equal(t, "x", s)
	_, err = p.String("empty")
	require.EqualError(t, err, "property empty: is required")
	_, err = p.String("list")
	require.EqualError(t, err, "property list: is a list, not a string")
	s, err = p.OptionalString("absent")
	require.NoError(t, err)
	require.Empty(t, s)

	for name, want := range map[string]bool{"t": true, "f": false, "absent": true} {
		b, err := p.Bool(name, true)
		require.NoError(t, err, name)
		require.Equal(t, want, b, name)
	}
	_, err = p.Bool("n", false)
	require.EqualError(t, err, `property n: "42" is neither true nor false`)

	for name, want := range map[string]int{"n": 42, "fn": 7, "absent": 5} {
		n, err := p.Int(name, 5, 0, 100)
		require.NoError(t, err, name)
		require.Equal(t, want, n, name)
	}
	_, err = p.Int("frac", 0, 0, 10)
	require.EqualError(t, err, "property frac: 1.5 is not a whole number")
	_, err = p.Int("n", 0, 0, 10)
	require.EqualError(t, err, "property n: 42 is not between 0 and 10")
}
