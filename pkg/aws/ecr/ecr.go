// Package ecr removes apps' old images from their repositories.
package ecr

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/rackhq/rack/pkg/names"
)

// API is the part of the ECR client the images use.
type API interface {
	BatchDeleteImage(ctx context.Context, in *ecr.BatchDeleteImageInput, opts ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error)
}

// Images are the images of one rack's apps; they satisfy service.Images.
type Images struct {
	api  API
	rack string
}

// New returns the images of rack's apps.
func New(api API, rack string) *Images { return &Images{api: api, rack: rack} }

// DeleteImages deletes app's images tagged tags. A tag or repository not
// there is not an error: the image is gone either way.
func (i *Images) DeleteImages(ctx context.Context, app string, tags []string) error {
	repo := names.Repository(i.rack, app)
	for chunk := range slices.Chunk(tags, 100) {
		ids := make([]types.ImageIdentifier, 0, len(chunk))
		for _, t := range chunk {
			ids = append(ids, types.ImageIdentifier{ImageTag: aws.String(t)})
		}
		out, err := i.api.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String(repo), ImageIds: ids})
		var gone *types.RepositoryNotFoundException
		switch {
		case errors.As(err, &gone):
			return nil
		case err != nil:
			return fmt.Errorf("delete images of %s: %w", repo, err)
		}
		for _, f := range out.Failures {
			if f.FailureCode != types.ImageFailureCodeImageNotFound {
				return fmt.Errorf("delete image %s:%s: %s: %s", repo, aws.ToString(f.ImageId.ImageTag), f.FailureCode, aws.ToString(f.FailureReason))
			}
		}
	}
	return nil
}
