package verify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// RevocationReason is an RFC 5280 CRLReason code. It is the one reason type of eseal: the
// store records it, the verifier reports it, CRLs carry it.
type RevocationReason int

// The RFC 5280 CRLReason codes (7 is not used).
const (
	ReasonUnspecified          RevocationReason = 0
	ReasonKeyCompromise        RevocationReason = 1
	ReasonCACompromise         RevocationReason = 2
	ReasonAffiliationChanged   RevocationReason = 3
	ReasonSuperseded           RevocationReason = 4
	ReasonCessationOfOperation RevocationReason = 5
	ReasonCertificateHold      RevocationReason = 6
	ReasonRemoveFromCRL        RevocationReason = 8
	ReasonPrivilegeWithdrawn   RevocationReason = 9
	ReasonAACompromise         RevocationReason = 10
)

var reasonNames = map[RevocationReason]string{
	ReasonUnspecified: "unspecified", ReasonKeyCompromise: "keyCompromise", ReasonCACompromise: "cACompromise",
	ReasonAffiliationChanged: "affiliationChanged", ReasonSuperseded: "superseded",
	ReasonCessationOfOperation: "cessationOfOperation", ReasonCertificateHold: "certificateHold",
	ReasonRemoveFromCRL: "removeFromCRL", ReasonPrivilegeWithdrawn: "privilegeWithdrawn", ReasonAACompromise: "aACompromise",
}

// String is the RFC 5280 name (keyCompromise), or "reason code N" for a code RFC 5280 does not
// define.
func (r RevocationReason) String() string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return fmt.Sprintf("reason code %d", int(r))
}

// Valid reports whether r is an RFC 5280 code a certificate can be revoked with
// (removeFromCRL only has a meaning in delta CRLs).
func (r RevocationReason) Valid() bool {
	_, ok := reasonNames[r]
	return ok && r != ReasonRemoveFromCRL
}

// ErrUnknownReason is ParseRevocationReason's error.
var ErrUnknownReason = errors.New("not an RFC 5280 revocation reason")

// ParseRevocationReason reads a reason by its RFC 5280 name (case-insensitive, e.g.
// keyCompromise) or code; removeFromCRL is refused (see Valid).
func ParseRevocationReason(s string) (RevocationReason, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.Atoi(t); err == nil {
		if r := RevocationReason(n); r.Valid() {
			return r, nil
		}
		return 0, fmt.Errorf("%w: %q is not a usable RFC 5280 reason code (0-6, 9, 10)", ErrUnknownReason, s)
	}
	for r, n := range reasonNames {
		if strings.EqualFold(n, t) && r.Valid() {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown revocation reason %q: %w (use one of: %s)", s, ErrUnknownReason, RevocationReasonNames())
}

// RevocationReasonNames lists the reasons ParseRevocationReason accepts, in code order.
func RevocationReasonNames() string {
	var names []string
	for _, r := range []RevocationReason{0, 1, 2, 3, 4, 5, 6, 9, 10} {
		names = append(names, reasonNames[r])
	}
	return strings.Join(names, ", ")
}
