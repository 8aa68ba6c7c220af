package main

import (
	"testing"
	"time"

	"github.com/eseal/eseal/certstore"
)

// TestRefreshCRL: the service issues a CRL when there is none, not again while more than half
// of its validity is left, and anew after that.
func TestRefreshCRL(t *testing.T) {
	s, err := certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("test")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.InitRegion("330100", "杭州市"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	first, err := refreshCRL(s, now)
	if err != nil || first == nil || first.Number != 1 {
		t.Fatalf("no CRL yet: %+v %v", first, err)
	}
	if again, err := refreshCRL(s, now.Add(time.Hour)); err != nil || again != nil {
		t.Errorf("fresh CRL reissued: %+v %v", again, err)
	}
	later, err := refreshCRL(s, now.Add(certstore.CRLValidity/2+time.Hour))
	if err != nil || later == nil || later.Number != 2 {
		t.Errorf("past half its validity: %+v %v", later, err)
	}
}
