package verify

import (
	"fmt"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// summary says the verdict and its main reason in one sentence a clerk understands.
func (st *sigState) summary() string {
	r := st.rep
	who := "an unknown signer"
	if st.ev.signer != nil {
		who = fmt.Sprintf("%q", commonName(st.ev.signer))
	}
	if r.Seal != nil && r.Seal.Name != "" {
		signer := strings.Trim(who, `"`)
		who = fmt.Sprintf("the seal %q", r.Seal.Name)
		if st.ev.signer != nil && signer != r.Seal.Name {
			who += fmt.Sprintf(" (signer %q)", signer)
		}
	}
	when := ""
	if !st.claimed.IsZero() {
		when = " on " + clerkTime(st.claimed)
	}
	var decisive Check
	for _, c := range r.Checks {
		if (r.Indication == TotalFailed && c.Status == CheckFailed) || (r.Indication == Indeterminate && c.Status == CheckIndeterminate) {
			decisive = c
			break
		}
	}
	intact := ""
	if st.sigOK && st.coverageOK {
		intact = "; the signature itself is intact"
	}
	switch r.Indication {
	case TotalPassed:
		if st.ev.token != nil {
			return fmt.Sprintf("Valid document timestamp: %s certifies that the document existed in this form%s.", who, when)
		}
		s := fmt.Sprintf("Valid: signed by %s%s", who, when)
		if len(r.LaterChanges) > 0 {
			s += fmt.Sprintf("; what was added later (%s) is allowed and leaves the signed content unchanged", changeKinds(r.LaterChanges))
		} else {
			s += "; the document has not been changed since"
		}
		for _, c := range r.Checks {
			if c.Name == RevocationCheck && c.Status == CheckWarning {
				s += " (revocation was not checked)"
			}
		}
		return s + "."
	case TotalFailed:
		switch r.SubIndication {
		case HashFailure:
			return fmt.Sprintf("INVALID: the document was changed after %s signed it: the signed bytes no longer match the signature.", who)
		case SigCryptoFailure:
			signerUntrusted := false
			for _, c := range r.Checks {
				if c.Name == ChainCheck && c.Status == CheckIndeterminate {
					signerUntrusted = true
				}
			}
			if decisive.Name == SealCheck && !signerUntrusted {
				return fmt.Sprintf("INVALID: the electronic seal in the signature of %s is forged or damaged (its maker's signature does not verify).", who)
			}
			return fmt.Sprintf("INVALID: the %s attributed to %s is forged or damaged: it does not verify with the signer's key.", st.what(), who)
		case Revoked:
			return fmt.Sprintf("INVALID: the certificate of %s had been revoked when the signature was made.", who)
		case ExpiredSub:
			return fmt.Sprintf("INVALID: %s signed%s with a certificate that had already expired.", who, when)
		case NotYetValid:
			return fmt.Sprintf("INVALID: %s signed%s with a certificate that was not yet valid.", who, when)
		case SigConstraintsFailure:
			return fmt.Sprintf("INVALID: %s was used against the seal's rules (%s).", who, firstSentence(decisive.Detail))
		case FormatFailure:
			switch decisive.Name {
			case LaterChangesCheck:
				return fmt.Sprintf("INVALID: the document was changed after %s signed it in a way that is not allowed: what is shown is not what was signed.", who)
			case ByteRangeCheck:
				return fmt.Sprintf("INVALID: the signature of %s does not protect the whole document (its byte range is wrong or misleading).", who)
			case SealCheck:
				return fmt.Sprintf("INVALID: the electronic seal in the signature of %s cannot be read.", who)
			}
			return fmt.Sprintf("INVALID: the %s is malformed: %s.", st.what(), firstSentence(decisive.Detail))
		}
		return fmt.Sprintf("INVALID (%s): %s.", r.SubIndication, firstSentence(decisive.Detail))
	case Indeterminate:
		switch r.SubIndication {
		case NoCertificateChainFound:
			if decisive.Name == SealCheck {
				return fmt.Sprintf("Cannot be decided: the maker of %s is not a trusted authority here%s.", who, intact)
			}
			issuer := "its issuer"
			if st.ev.signer != nil {
				issuer = fmt.Sprintf("%q", issuerCN(st.ev.signer))
			}
			return fmt.Sprintf("Cannot be decided: the certificate of %s, issued by %s, does not lead to a trusted root%s.", who, issuer, intact)
		case NoSigningCertificateFound:
			return fmt.Sprintf("Cannot be decided: the signer's certificate is missing from the %s or does not match it.", st.what())
		case RevokedNoPOE, RevokedCANoPOE:
			whose := "the certificate"
			if r.SubIndication == RevokedCANoPOE {
				whose = "a CA certificate in the chain"
			}
			claim := "the signature states no signing time"
			switch {
			case st.claimed.Equal(st.revokedAt):
				claim = "the signature claims the same second"
			case !st.claimed.IsZero():
				claim = "the signature claims an earlier time (" + clerkTime(st.claimed) + ")"
			}
			return fmt.Sprintf("Cannot be decided: %s of %s was revoked on %s (%s); %s, but no trusted timestamp proves it was made before the revocation.",
				whose, who, clerkTime(st.revokedAt), reasonName(st.revokedReason), claim)
		case OutOfBoundsNoPOE:
			return fmt.Sprintf("Cannot be decided: the certificate of %s has expired and no trusted timestamp proves the signature was made while it was valid%s.", who, intact)
		case TryLater:
			switch decisive.Name {
			case ChainCheck:
				return fmt.Sprintf("Cannot be decided now: the trust anchors could not be loaded%s.", intact)
			case SealCheck:
				return fmt.Sprintf("Cannot be decided now: the seal maker of %s cannot be checked (%s).", who, firstSentence(decisive.Detail))
			}
			return fmt.Sprintf("Cannot be decided now: whether the certificate of %s was revoked is unknown%s; try again when revocation information is available.", who, intact)
		case ChainConstraintsFailure:
			return fmt.Sprintf("Cannot be accepted: the certificates of %s do not meet the rules for signing (%s).", who, firstSentence(decisive.Detail))
		case CryptoConstraintsFailureNoPOE:
			return fmt.Sprintf("Cannot be decided: the signature of %s relies on algorithms that are no longer secure, and nothing proves it existed while they were%s.", who, intact)
		case CryptoConstraintsFailure:
			return fmt.Sprintf("Cannot be decided: the %s uses an algorithm this verifier does not support.", st.what())
		}
		return fmt.Sprintf("Cannot be decided (%s): %s.", r.SubIndication, firstSentence(decisive.Detail))
	}
	return ""
}

// issuerCN is the CN of a certificate's issuer, or the whole issuer name when it has none.
func issuerCN(c *smcrypto.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return issuerOf(c)
}

func changeKinds(cs []Change) string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		if !seen[c.Kind] {
			seen[c.Kind] = true
			out = append(out, c.Kind)
		}
	}
	return strings.Join(out, ", ")
}

// firstSentence shortens a detail to its first clause for a summary.
func firstSentence(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// clerkTime formats a time for the summary, which is for a clerk: China time, as the text report
// shows (check details stay in UTC).
func clerkTime(t time.Time) string { return t.In(displayZone).Format("2006-01-02 15:04:05 MST") }
