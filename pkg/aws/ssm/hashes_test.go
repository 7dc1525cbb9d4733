package ssm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ssmapi "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/ssm"
	"github.com/rackhq/rack/pkg/rack"
)

const (
	parameter = "/rack/test/password-hash"
	password  = "correct horse battery staple"
)

// quickHash hashes at bcrypt's lowest cost.
func quickHash(t testing.TB, password string) []byte {
	t.Helper()
	hash, err := auth.Hasher{Cost: bcrypt.MinCost}.Hash(password)
	require.NoError(t, err)
	return hash
}

// fakeSSM is an SSMAPI with function fields, one per method.
type fakeSSM struct {
	GetParameterFn func(*ssmapi.GetParameterInput) (*ssmapi.GetParameterOutput, error)
	PutParameterFn func(*ssmapi.PutParameterInput) (*ssmapi.PutParameterOutput, error)
}

var _ ssm.API = (*fakeSSM)(nil)

func (f *fakeSSM) GetParameter(_ context.Context, in *ssmapi.GetParameterInput, _ ...func(*ssmapi.Options)) (*ssmapi.GetParameterOutput, error) {
	return f.GetParameterFn(in)
}

func (f *fakeSSM) PutParameter(_ context.Context, in *ssmapi.PutParameterInput, _ ...func(*ssmapi.Options)) (*ssmapi.PutParameterOutput, error) {
	return f.PutParameterFn(in)
}

// sdkError wraps err as the SDK does, so that the store is tested against
// the chain it will meet.
func sdkError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "SSM", OperationName: op, Err: err}
}

func TestSSMHashesRead(t *testing.T) {
	hash := quickHash(t, password)
	client := &fakeSSM{GetParameterFn: func(in *ssmapi.GetParameterInput) (*ssmapi.GetParameterOutput, error) {
		require.Equal(t, parameter, aws.ToString(in.Name))
		require.True(t, aws.ToBool(in.WithDecryption), "read without decryption")
		return &ssmapi.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String(string(hash))}}, nil
	}}
	got, err := ssm.NewHashes(client, parameter).PasswordHash(context.Background())
	require.NoError(t, err)
	require.Equal(t, hash, got)
}

func TestSSMHashesReadErrors(t *testing.T) {
	throttled := errors.New("throttled")
	cases := []struct {
		name string
		err  error
		out  *ssmapi.GetParameterOutput
		code string
	}{
		{name: "missing", err: sdkError("GetParameter", &types.ParameterNotFound{Message: aws.String("not found")}), code: rack.ENOTFOUND},
		{name: "other", err: sdkError("GetParameter", throttled), code: rack.EINTERNAL},
		{name: "empty", out: &ssmapi.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String("")}}, code: rack.EINTERNAL},
		{name: "no parameter", out: &ssmapi.GetParameterOutput{}, code: rack.EINTERNAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := &fakeSSM{GetParameterFn: func(*ssmapi.GetParameterInput) (*ssmapi.GetParameterOutput, error) {
				return tc.out, tc.err
			}}
			hash, err := ssm.NewHashes(client, parameter).PasswordHash(context.Background())
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
		var got *ssmapi.PutParameterInput
		client := &fakeSSM{PutParameterFn: func(in *ssmapi.PutParameterInput) (*ssmapi.PutParameterOutput, error) {
			got = in
			return &ssmapi.PutParameterOutput{Version: 1}, nil
		}}
		require.NoError(t, ssm.NewHashes(client, parameter).SetPasswordHash(context.Background(), hash, overwrite))
		require.Equal(t, parameter, aws.ToString(got.Name))
		require.Equal(t, string(hash), aws.ToString(got.Value))
		require.Equal(t, types.ParameterTypeSecureString, got.Type)
		require.Equal(t, overwrite, aws.ToBool(got.Overwrite))
	}
}

func TestSSMHashesWriteErrors(t *testing.T) {
	hash := quickHash(t, password)
	t.Run("exists", func(t *testing.T) {
		client := &fakeSSM{PutParameterFn: func(*ssmapi.PutParameterInput) (*ssmapi.PutParameterOutput, error) {
			return nil, sdkError("PutParameter", &types.ParameterAlreadyExists{Message: aws.String("exists")})
		}}
		err := ssm.NewHashes(client, parameter).SetPasswordHash(context.Background(), hash, false)
		require.Equal(t, rack.ECONFLICT, rack.ErrorCode(err), "%v", err)
	})
	t.Run("other", func(t *testing.T) {
		denied := errors.New("access denied")
		client := &fakeSSM{PutParameterFn: func(*ssmapi.PutParameterInput) (*ssmapi.PutParameterOutput, error) {
			return nil, sdkError("PutParameter", denied)
		}}
		err := ssm.NewHashes(client, parameter).SetPasswordHash(context.Background(), hash, true)
		require.Equal(t, rack.EINTERNAL, rack.ErrorCode(err))
		require.ErrorIs(t, err, denied)
	})
	t.Run("not a hash", func(t *testing.T) {
		client := &fakeSSM{PutParameterFn: func(*ssmapi.PutParameterInput) (*ssmapi.PutParameterOutput, error) {
			t.Fatal("wrote something that is not a bcrypt hash")
			return nil, nil
		}}
		err := ssm.NewHashes(client, parameter).SetPasswordHash(context.Background(), []byte(password), true)
		require.Equal(t, rack.EINVALID, rack.ErrorCode(err))
		require.NotContains(t, err.Error(), password)
	})
}
