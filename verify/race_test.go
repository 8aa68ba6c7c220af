//go:build race

package verify

// raceEnabled: the race detector changes allocation counts (sync.Pool drops what it is given),
// so allocation bounds are checked in the ordinary run only.
const raceEnabled = true
