package verify

import (
	"errors"
	"testing"
)

func TestParseRevocationReason(t *testing.T) {
	for in, want := range map[string]RevocationReason{"keyCompromise": 1, "KEYCOMPROMISE": 1, " 1 ": 1, "superseded": 4, "0": 0, "10": 10, "cessationOfOperation": 5, "aACompromise": 10} {
		if got, err := ParseRevocationReason(in); err != nil || got != want {
			t.Errorf("ParseRevocationReason(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "7", "8", "11", "-1", "removeFromCRL", "compromised"} {
		if r, err := ParseRevocationReason(in); !errors.Is(err, ErrUnknownReason) {
			t.Errorf("ParseRevocationReason(%q) = %v, %v; want ErrUnknownReason", in, r, err)
		}
	}
	if ReasonKeyCompromise.String() != "keyCompromise" || RevocationReason(7).String() != "reason code 7" {
		t.Errorf("names: %s, %s", ReasonKeyCompromise, RevocationReason(7))
	}
	if want := "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise"; RevocationReasonNames() != want {
		t.Errorf("RevocationReasonNames() = %q", RevocationReasonNames())
	}
}
