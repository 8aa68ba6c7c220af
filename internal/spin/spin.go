// Package spin waits briefly for another goroutine without parking the thread.
//
// The verifier splits its work between two goroutines (verify's helper, smcrypto's
// ChainBuilder). Waking a parked thread costs up to a few hundred microseconds on a virtual
// machine, more than most pieces of that work, so a goroutine that finds a piece in progress
// elsewhere spins for a short while and, past it, falls back (does the work itself, or parks).
package spin

import "time"

// Limit is how long Wait spins: a little more than one SM2 verification. It is only reached
// when the other goroutine's thread was descheduled.
const Limit = 100 * time.Microsecond

// Wait busy-waits up to Limit for done to be closed, and reports whether it was.
func Wait(done <-chan struct{}) bool {
	deadline := time.Now().Add(Limit)
	for {
		select {
		case <-done:
			return true
		default:
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
