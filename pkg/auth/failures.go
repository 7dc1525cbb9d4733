package auth

import (
	"container/list"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// failures counts recent failed attempts per address. It remembers at most
// size addresses, each for window after its last failure, so that a flood
// of addresses costs bounded memory; past the limit it forgets the address
// whose last failure is oldest.
type failures struct {
	size   int
	window time.Duration

	mu     sync.Mutex
	recent *list.List // of *failure, most recent failure first
	byAddr map[string]*list.Element
}

type failure struct {
	addr  string
	count int
	last  time.Time
}

func newFailures(size int, window time.Duration) *failures {
	return &failures{
		size:   max(size, 1),
		window: window,
		recent: list.New(),
		byAddr: map[string]*list.Element{},
	}
}

// attempt returns how many recent failures addr has. When it has any, the
// attempt is counted as one more at once, so that parallel attempts from
// addr each see a higher count; a success (reset) forgives it.
func (f *failures) attempt(addr string, now time.Time) (prior int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.live(addr, now)
	if e == nil {
		return 0
	}
	r := e.Value.(*failure)
	prior = r.count
	r.count++
	return prior
}

// failed records a failed attempt from addr; counted says attempt already
// counted it.
func (f *failures) failed(addr string, now time.Time, counted bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.live(addr, now); e != nil {
		r := e.Value.(*failure)
		if !counted {
			r.count++
		}
		r.last = now
		f.recent.MoveToFront(e)
		return
	}
	// Expired records sit at the back: drop them before anything live.
	for back := f.recent.Back(); back != nil && f.expired(back, now); back = f.recent.Back() {
		f.remove(back)
	}
	for f.recent.Len() >= f.size {
		f.remove(f.recent.Back())
	}
	f.byAddr[addr] = f.recent.PushFront(&failure{addr: addr, count: 1, last: now})
}

// reset forgets addr's failures.
func (f *failures) reset(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.byAddr[addr]; ok {
		f.remove(e)
	}
}

// tracked is the number of addresses remembered, live or not yet dropped.
func (f *failures) tracked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.recent.Len()
}

// live returns addr's record unless it has none or it expired, in which
// case it is dropped.
func (f *failures) live(addr string, now time.Time) *list.Element {
	e, ok := f.byAddr[addr]
	if !ok {
		return nil
	}
	if f.expired(e, now) {
		f.remove(e)
		return nil
	}
	return e
}

func (f *failures) expired(e *list.Element, now time.Time) bool {
	return now.Sub(e.Value.(*failure).last) >= f.window
}

func (f *failures) remove(e *list.Element) {
	f.recent.Remove(e)
	delete(f.byAddr, e.Value.(*failure).addr)
}

// addressKey is what failures are counted under: the host without its port,
// which changes with every connection, and for IPv6 the /64 network, since
// one client commonly holds a whole /64. An address that does not parse is
// used as it is.
func addressKey(remoteAddr string) string {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	prefix, err := addr.Prefix(64)
	if err != nil {
		return addr.String()
	}
	return prefix.String()
}
