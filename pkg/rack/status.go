package rack

// moves lists, for each status, the statuses it may move to. A status absent
// from the map is terminal. Staying in the same status is always allowed, so
// a replayed event that rewrites what is already there is not an error.
type moves[S comparable] map[S][]S

func (m moves[S]) allow(from, to S) bool {
	if from == to {
		return m.valid(from)
	}
	for _, s := range m[from] {
		if s == to {
			return true
		}
	}
	return false
}

// terminal reports whether s appears as a destination but has no moves of
// its own.
func (m moves[S]) terminal(s S) bool {
	if _, ok := m[s]; ok {
		return false
	}
	for _, tos := range m {
		for _, t := range tos {
			if t == s {
				return true
			}
		}
	}
	return false
}

func (m moves[S]) valid(s S) bool {
	_, ok := m[s]
	return ok || m.terminal(s)
}
