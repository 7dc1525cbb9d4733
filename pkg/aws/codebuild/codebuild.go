// Package codebuild runs the rack's builds on its CodeBuild project: one
// job per build, its buildspec given at start.
package codebuild

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/codebuild/types"

	"github.com/rackhq/rack/pkg/rack"
)

// API is the part of the CodeBuild client the builder uses.
type API interface {
	StartBuild(ctx context.Context, in *codebuild.StartBuildInput, opts ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error)
	BatchGetBuilds(ctx context.Context, in *codebuild.BatchGetBuildsInput, opts ...func(*codebuild.Options)) (*codebuild.BatchGetBuildsOutput, error)
}

// Builder is one CodeBuild project; it satisfies service.Builder.
type Builder struct {
	api     API
	project string
	// group is the project's log group: where a job's output goes when
	// CodeBuild does not say yet.
	group string
}

// New returns the builder of project, whose jobs log to group.
func New(api API, project, group string) *Builder {
	return &Builder{api: api, project: project, group: group}
}

// StartJob starts a job with the job's buildspec and variables. The build
// id is the idempotency token: CodeBuild answers a retried start with the
// job the first one started.
func (b *Builder) StartJob(ctx context.Context, job rack.BuildJob) (rack.JobState, error) {
	vars := make([]types.EnvironmentVariable, 0, len(job.Variables))
	for _, name := range slices.Sorted(maps.Keys(job.Variables)) {
		vars = append(vars, types.EnvironmentVariable{
			Name: aws.String(name), Value: aws.String(job.Variables[name]), Type: types.EnvironmentVariableTypePlaintext,
		})
	}
	out, err := b.api.StartBuild(ctx, &codebuild.StartBuildInput{
		ProjectName:                  aws.String(b.project),
		IdempotencyToken:             aws.String(job.Build),
		BuildspecOverride:            aws.String(string(job.Buildspec)),
		EnvironmentVariablesOverride: vars,
	})
	if err != nil {
		return rack.JobState{}, fmt.Errorf("start build %s of app %s: %w", job.Build, job.App, err)
	}
	if out.Build == nil {
		return rack.JobState{}, fmt.Errorf("start build %s of app %s: CodeBuild named no job", job.Build, job.App)
	}
	return b.state(*out.Build), nil
}

// Jobs reads jobs' states, at most 100 at a time as CodeBuild takes them.
func (b *Builder) Jobs(ctx context.Context, ids []string) ([]rack.JobState, error) {
	var states []rack.JobState
	for chunk := range slices.Chunk(ids, 100) {
		out, err := b.api.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: chunk})
		if err != nil {
			return nil, fmt.Errorf("read builds: %w", err)
		}
		for _, job := range out.Builds {
			states = append(states, b.state(job))
		}
	}
	return states, nil
}

// state is what a CodeBuild build says, as a job state. A job's stream
// is its id's part after the project, in the project's group, until
// CodeBuild names them.
func (b *Builder) state(job types.Build) rack.JobState {
	id := aws.ToString(job.Id)
	st := rack.JobState{
		ID:      id,
		Status:  rack.BuildCreated,
		Started: aws.ToTime(job.StartTime),
		Ended:   aws.ToTime(job.EndTime),
	}
	if s, ok := rack.BuilderStatus(string(job.BuildStatus)); ok {
		st.Status = s
	}
	if job.Logs != nil {
		st.Logs = aws.ToString(job.Logs.DeepLink)
		st.LogGroup, st.LogStream = aws.ToString(job.Logs.GroupName), aws.ToString(job.Logs.StreamName)
	}
	if st.LogGroup == "" || st.LogStream == "" {
		_, uuid, _ := strings.Cut(id, ":")
		st.LogGroup, st.LogStream = b.group, uuid
	}
	if st.Status == rack.BuildFailed {
		phases := make([]rack.BuilderPhase, 0, len(job.Phases))
		for _, p := range job.Phases {
			ph := rack.BuilderPhase{Type: string(p.PhaseType), Status: string(p.PhaseStatus)}
			for _, c := range p.Contexts {
				ph.Context = append(ph.Context, strings.TrimSpace(aws.ToString(c.StatusCode)+": "+aws.ToString(c.Message)))
			}
			phases = append(phases, ph)
		}
		st.Reason = rack.BuilderFailure(string(job.BuildStatus), phases)
	}
	return st
}
