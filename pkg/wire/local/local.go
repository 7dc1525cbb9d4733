// Package local is the local rack environment: the API the api function
// serves, as a plain HTTP server on the developer's machine, over the
// emulator or a deployed rack's resources. It is for the dev loop only; no
// function links it.
package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	kmsapi "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rackhq/rack/pkg/auth"
	"github.com/rackhq/rack/pkg/aws/dynamo"
	"github.com/rackhq/rack/pkg/aws/kms"
	"github.com/rackhq/rack/pkg/wire"
)

// Prepare makes sure the resources a local API needs exist where cfg
// points: the table, the key (env.Key may be an alias, created if missing),
// the builder's bucket, project and log group when env names them, and the
// password hash (stored, sealed, from password if none is). On AWS the rack
// stack creates these; this is for the local rack environment, before or
// without a deployed stack. It returns whether it stored the password.
func Prepare(ctx context.Context, env wire.Env, cfg aws.Config, hasher auth.Hasher, password string) (bool, error) {
	if err := ensureTable(ctx, dynamodb.NewFromConfig(cfg), env.Table); err != nil {
		return false, err
	}
	if err := ensureKey(ctx, kmsapi.NewFromConfig(cfg), env.Key); err != nil {
		return false, err
	}
	if err := ensureBuilder(ctx, cfg, env); err != nil {
		return false, err
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg), env.Table, nil)
	sealer := kms.New(kmsapi.NewFromConfig(cfg), env.Key)
	created, err := hasher.EnsurePassword(ctx, auth.NewSettingHashes(store, sealer), password)
	if err != nil {
		return false, fmt.Errorf("password: %w", err)
	}
	return created, nil
}

func ensureTable(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var missing *dbtypes.ResourceNotFoundException
	switch {
	case err == nil:
		return nil
	case errors.As(err, &missing):
		return dynamo.CreateTable(ctx, db, name)
	}
	return fmt.Errorf("describe table %s: %w", name, err)
}

// ensureKey creates the key behind an alias ("alias/...") that does not
// exist yet; a key id or ARN must exist already.
func ensureKey(ctx context.Context, k *kmsapi.Client, key string) error {
	_, err := k.DescribeKey(ctx, &kmsapi.DescribeKeyInput{KeyId: aws.String(key)})
	var missing *kmstypes.NotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("describe key %s: %w", key, err)
	case len(key) < 7 || key[:6] != "alias/":
		return fmt.Errorf("key %s does not exist", key)
	}
	out, err := k.CreateKey(ctx, &kmsapi.CreateKeyInput{Description: aws.String("rack environment (local)")})
	if err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	if _, err := k.CreateAlias(ctx, &kmsapi.CreateAliasInput{AliasName: aws.String(key), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		return fmt.Errorf("create alias %s: %w", key, err)
	}
	return nil
}

// ensureBuilder makes what builds need, where the rack stack would: the
// bucket sources are uploaded to, the CodeBuild project and its log group.
// Each is made only when env names it.
func ensureBuilder(ctx context.Context, cfg aws.Config, env wire.Env) error {
	if env.Bucket != "" {
		s := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		_, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(env.Bucket)})
		var owned *s3types.BucketAlreadyOwnedByYou
		if err != nil && !errors.As(err, &owned) {
			return fmt.Errorf("create bucket %s: %w", env.Bucket, err)
		}
	}
	if env.BuildLogs != "" {
		_, err := cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(env.BuildLogs)})
		var exists *logstypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("create log group %s: %w", env.BuildLogs, err)
		}
	}
	if env.Builder != "" {
		cb := codebuild.NewFromConfig(cfg)
		out, err := cb.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: []string{env.Builder}})
		if err != nil {
			return fmt.Errorf("read project %s: %w", env.Builder, err)
		}
		if len(out.Projects) == 0 {
			_, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
				Name:        aws.String(env.Builder),
				Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String("version: 0.2\nphases: {build: {commands: [exit 1]}}\n")},
				Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
				Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeArmContainer, ComputeType: cbtypes.ComputeTypeBuildGeneral1Small, Image: aws.String("aws/codebuild/amazonlinux-aarch64-standard:3.0"), PrivilegedMode: aws.Bool(true)},
				ServiceRole: aws.String("arn:aws:iam::000000000000:role/" + env.Builder),
				LogsConfig:  &cbtypes.LogsConfig{CloudWatchLogs: &cbtypes.CloudWatchLogsConfig{Status: cbtypes.LogsConfigStatusTypeEnabled, GroupName: aws.String(env.BuildLogs)}},
			})
			if err != nil {
				return fmt.Errorf("create project %s: %w", env.Builder, err)
			}
		}
	}
	return nil
}
