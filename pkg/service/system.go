package service

import (
	"context"

	"github.com/rackhq/rack/pkg/rack"
)

// System describes the rack as configured.
type System struct {
	sys rack.System
}

// NewSystem returns the description of a rack; its status is reported as
// running while the API answers.
func NewSystem(sys rack.System) *System {
	return &System{sys: sys}
}

// System describes the rack.
func (s *System) System(context.Context) (rack.System, error) {
	sys := s.sys
	sys.Status = rack.SystemRunning
	if sys.Provider == "" {
		sys.Provider = "aws"
	}
	return sys, nil
}
