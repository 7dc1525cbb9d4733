package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/rack"
)

const parameter = "/rack/test/password-hash"

// fakeSSM is an SSMAPI with function fields, one per method.
type fakeSSM struct {
	GetParameterFn func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
	PutParameterFn func(*ssm.PutParameterInput) (*ssm.PutParameterOutput, error)
}

var _ auth.SSMAPI = (*fakeSSM)(nil)

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return f.GetParameterFn(in)
}

func (f *fakeSSM) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	return f.PutParameterFn(in)
}

// sdkError wraps err as the SDK does, so that the store is tested against
// the chain it will meet.
func sdkError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "SSM", OperationName: op, Err: err}
}

func TestSSMHashesRead(t *testing.T) {
	hash := quickHash(t, password)
	client := &fakeSSM{GetParameterFn: func(in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		require.Equal(t, parameter, aws.ToString(in.Name))
		require.True(t, aws.ToBool(in.WithDecryption), "read without decryption")
		return &ssm.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String(string(hash))}}, nil
	}}
	got, err := auth.NewSSMHashes(client, parameter).PasswordHash(context.Background())
	require.NoError(t, err)
	require.Equal(t, hash, got)
}

func TestSSMHashesReadErrors(t *testing.T) {
	throttled := errors.New("throttled")
	cases := []struct {
		name string
		err  error
		out  *ssm.GetParameterOutput
		code string
	}{
		{name: "missing", err: sdkError("GetParameter", &types.ParameterNotFound{Message: aws.String("not found")}), code: rack.ENOTFOUND},
		{name: "other", err: sdkError("GetParameter", throttled), code: rack.EINTERNAL},
		{name: "empty", out: &ssm.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String("")}}, code: rack.EINTERNAL},
		{name: "no parameter", out: &ssm.GetParameterOutput{}, code: rack.EINTERNAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := &fakeSSM{GetParameterFn: func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
				return tc.out, tc.err
			}}
			hash, err := auth.NewSSMHashes(client, parameter).PasswordHash(context.Background())
			require.Nil(t, hash)
			require.Equal(t, tc.code, rack.ErrorCode(err), "%v", err)
			require.Contains(t, err.Error(), parameter)
			if tc.err != nil && tc.code == rack.EINTERNAL {
				require.ErrorIs(t, err, throttled)
			}
		})
	}
}

func TestSSMHashesWrite(t *testing.T) {
	hash := quickHash(t, password)
	for _, overwrite := range []bool{false, true} {
		var got *ssm.PutParameterInput
		client := &fakeSSM{PutParameterFn: func(in *ssm.PutParameterInput) (*ssm.PutParameterOutput, error) {
			got = in
			return &ssm.PutParameterOutput{Version: 1}, nil
		}}
		require.NoError(t, auth.NewSSMHashes(client, parameter).SetPasswordHash(context.Background(), hash, overwrite))
		require.Equal(t, parameter, aws.ToString(got.Name))
		require.Equal(t, string(hash), aws.ToString(got.Value))
		require.Equal(t, types.ParameterTypeSecureString, got.Type)
		require.Equal(t, overwrite, aws.ToBool(got.Overwrite))
	}
}

func TestSSMHashesWriteErrors(t *testing.T) {
	hash := quickHash(t, password)
	t.Run("exists", func(t *testing.T) {
		client := &fakeSSM{PutParameterFn: func(*ssm.PutParameterInput) (*ssm.PutParameterOutput, error) {
			return nil, sdkError("PutParameter", &types.ParameterAlreadyExists{Message: aws.String("exists")})
		}}
		err := auth.NewSSMHashes(client, parameter).SetPasswordHash(context.Background(), hash, false)
		require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
	})
	t.Run("other", func(t *testing.T) {
		denied := errors.New("access denied")
		client := &fakeSSM{PutParameterFn: func(*ssm.PutParameterInput) (*ssm.PutParameterOutput, error) {
			return nil, sdkError("PutParameter", denied)
		}}
		err := auth.NewSSMHashes(client, parameter).SetPasswordHash(context.Background(), hash, true)
		require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
		require.ErrorIs(t, err, denied)
	})
	t.Run("not a hash", func(t *testing.T) {
		client := &fakeSSM{PutParameterFn: func(*ssm.PutParameterInput) (*ssm.PutParameterOutput, error) {
			t.Fatal("wrote something that is not a bcrypt hash")
			return nil, nil
		}}
		err := auth.NewSSMHashes(client, parameter).SetPasswordHash(context.Background(), []byte(password), true)
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
		require.NotContains(t, err.Error(), password)
	})
}

// memHashes is a HashStore in memory.
type memHashes struct {
	hash    []byte
	readErr error
	raced   bool // another writer gets in between a read and a write
	writes  int
}

func (m *memHashes) PasswordHash(context.Context) ([]byte, error) {
	switch {
	case m.readErr != nil:
		return nil, m.readErr
	case m.hash == nil:
		return nil, rack.Errorf(rack.ENOTFOUND, "no password hash")
	}
	return m.hash, nil
}

func (m *memHashes) SetPasswordHash(_ context.Context, hash []byte, overwrite bool) error {
	if m.raced {
		m.hash = []byte("theirs")
	}
	if m.hash != nil && !overwrite {
		return rack.Errorf(rack.ECONFLICT, "exists")
	}
	m.hash = hash
	m.writes++
	return nil
}

func TestEnsurePassword(t *testing.T) {
	ctx := context.Background()
	t.Run("stores once", func(t *testing.T) {
		m := &memHashes{}
		created, err := auth.EnsurePassword(ctx, m, password)
		require.NoError(t, err)
		require.True(t, created)
		require.NoError(t, bcrypt.CompareHashAndPassword(m.hash, []byte(password)))

		created, err = auth.EnsurePassword(ctx, m, "another")
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, 1, m.writes)
		require.NoError(t, bcrypt.CompareHashAndPassword(m.hash, []byte(password)))
	})
	t.Run("loses a race", func(t *testing.T) {
		m := &memHashes{raced: true}
		created, err := auth.EnsurePassword(ctx, m, password)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, []byte("theirs"), m.hash)
	})
	t.Run("cannot read", func(t *testing.T) {
		down := errors.New("ssm down")
		m := &memHashes{readErr: down}
		_, err := auth.EnsurePassword(ctx, m, password)
		require.ErrorIs(t, err, down)
		require.Zero(t, m.writes)
	})
	t.Run("empty password", func(t *testing.T) {
		m := &memHashes{}
		_, err := auth.EnsurePassword(ctx, m, "")
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
		require.Zero(t, m.writes)
	})
}
