package source

import "os"

// FailOpen makes opening the file at path fail with err until the test
// ends.
func FailOpen(cleanup func(func()), path string, err error) {
	cleanup(func() { openFile = os.Open })
	openFile = func(name string) (*os.File, error) {
		if name == path {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.Open(name)
	}
}
