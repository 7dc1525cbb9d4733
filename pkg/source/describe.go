package source

import (
	"context"
	"os"
	"os/exec"
	"strings"
)

// Describe returns Convox's default description of a build of dir:
// "build <commit> <subject>", the commit abbreviated to ten characters,
// when dir is in a git work tree whose tracked files have no unstaged
// changes (`git diff --quiet` succeeds; untracked files don't count, as
// with Convox). Otherwise, or if git is not installed or fails, it returns
// "". Unlike Convox, which asks git about the current directory, it asks
// about dir.
func Describe(ctx context.Context, dir string) string {
	if _, err := git(ctx, dir, "diff", "--quiet"); err != nil {
		return ""
	}
	out, err := git(ctx, dir, "log", "-n", "1", "--pretty=%h %s", "--abbrev=10")
	if err != nil {
		return ""
	}
	line := strings.TrimSpace(out)
	if line == "" {
		return ""
	}
	return "build " + line
}

// git runs git with args in dir and returns what it printed. It takes no
// optional locks, so that it never stands in the way of the user's own git.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.Output()
	return string(out), err
}
