package formation

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// TypeEmptyRepository deletes the images of an app's ECR repository when
// it is deleted, so that the stack can then delete the repository. Its
// physical id is the repository's name.
//
// Properties: RepositoryName.
const TypeEmptyRepository = "Custom::EmptyRepository"

// ECRAPI is the part of the ECR client EmptyRepository uses.
type ECRAPI interface {
	ListImages(ctx context.Context, in *ecr.ListImagesInput, opts ...func(*ecr.Options)) (*ecr.ListImagesOutput, error)
	BatchDeleteImage(ctx context.Context, in *ecr.BatchDeleteImageInput, opts ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error)
}

// repositoryName is what ECR takes for a repository's name.
var repositoryName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// maxImagesPerDelete is BatchDeleteImage's limit.
const maxImagesPerDelete = 100

func decodeEmptyRepository(p Properties) (string, error) {
	name, err := p.String("RepositoryName")
	if err != nil {
		return "", err
	}
	if len(name) < 2 || len(name) > 256 || !repositoryName.MatchString(name) {
		return "", propertyError("RepositoryName", "%s is not an ECR repository name", quote(name))
	}
	return name, nil
}

// EmptyRepository is the Custom::EmptyRepository resource.
func EmptyRepository(client ECRAPI) Resource {
	upsert := func(_ context.Context, req Request) (Result, error) {
		name, err := decodeEmptyRepository(req.Properties())
		return Result{PhysicalID: name}, err
	}
	return Resource{
		Create: upsert,
		Update: upsert,
		Delete: func(ctx context.Context, req Request) error {
			return emptyRepository(ctx, client, req.PhysicalResourceID)
		},
	}
}

// emptyRepository deletes every image of the repository, by digest (which
// takes all its tags with it); a repository that is already gone is empty.
func emptyRepository(ctx context.Context, client ECRAPI, repo string) error {
	var last []string
	for {
		// Listed from the start each time: the last page's images are gone.
		out, err := client.ListImages(ctx, &ecr.ListImagesInput{
			RepositoryName: aws.String(repo),
			MaxResults:     aws.Int32(maxImagesPerDelete),
		})
		if isAPIError(err, "RepositoryNotFoundException") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("empty repository %s: list images: %w", repo, err)
		}
		var digests []string
		for _, id := range out.ImageIds {
			if d := aws.ToString(id.ImageDigest); d != "" && !slices.Contains(digests, d) {
				digests = append(digests, d)
			}
		}
		if len(digests) == 0 {
			return nil
		}
		if slices.Equal(digests, last) {
			return fmt.Errorf("empty repository %s: %d images are still listed after they were deleted", repo, len(digests))
		}
		ids := make([]ecrtypes.ImageIdentifier, len(digests))
		for i, d := range digests {
			ids[i] = ecrtypes.ImageIdentifier{ImageDigest: aws.String(d)}
		}
		res, err := client.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo), ImageIds: ids})
		if isAPIError(err, "RepositoryNotFoundException") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("empty repository %s: delete %d images: %w", repo, len(ids), err)
		}
		for _, f := range res.Failures {
			if f.FailureCode == ecrtypes.ImageFailureCodeImageNotFound {
				continue // deleted meanwhile
			}
			var digest string
			if f.ImageId != nil {
				digest = aws.ToString(f.ImageId.ImageDigest)
			}
			return fmt.Errorf("empty repository %s: delete image %s: %s: %s",
				repo, digest, f.FailureCode, aws.ToString(f.FailureReason))
		}
		last = digests
	}
}
