// Package reporttext is the words of a verification report: the one-sentence summary of each
// signature, the text report for a terminal, and the JSON the CLI and the HTTP API print. It
// reads verify's report, which holds facts and verdicts as data, and decides nothing: every
// sentence is made from fields of the report.
//
// Times are written in one zone per output: the text report in China Standard Time (Zone),
// whose check details the CLI asks verify to write in the same zone
// (verify.Options.TimeZone); the JSON in UTC.
package reporttext

import (
	"fmt"
	"strings"
	"time"

	"github.com/eseal/eseal/verify"
)

// Zone is the zone the text report shows times in: China Standard Time, UTC+8, labelled CST.
var Zone = time.FixedZone("CST", 8*3600)

// Summary says the verdict of s and its main reason in one sentence a clerk understands, with
// times in zone.
func Summary(s *verify.SignatureReport, zone *time.Location) string {
	clock := func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04:05 MST") }
	if s.Type == verify.TypeSeal {
		return sealSummary(s, clock)
	}
	what := "signature"
	if s.Type == verify.TypeDocumentTimestamp {
		what = "document timestamp"
	}
	who := "an unknown signer"
	signer := ""
	if s.Signer != nil {
		signer = s.Signer.CommonName
		if signer == "" {
			signer = s.Signer.Subject
		}
		who = fmt.Sprintf("%q", signer)
	}
	if s.Seal != nil && s.Seal.Name != "" {
		who = fmt.Sprintf("the seal %q", s.Seal.Name)
		if signer != "" && signer != s.Seal.Name {
			who += fmt.Sprintf(" (signer %q)", signer)
		}
	}
	when := ""
	if s.SigningTime != nil {
		when = " on " + clock(*s.SigningTime)
	}
	decisive := decisiveCheck(s)
	intact := ""
	if isIntact(s) {
		intact = "; the signature itself is intact"
	}
	switch s.Indication {
	case verify.TotalPassed:
		if s.Type == verify.TypeDocumentTimestamp {
			return fmt.Sprintf("Valid document timestamp: %s certifies that the document existed in this form%s.", who, when)
		}
		out := fmt.Sprintf("Valid: signed by %s%s", who, when)
		if len(s.LaterChanges) > 0 {
			out += fmt.Sprintf("; what was added later (%s) is allowed and leaves the signed content unchanged", changeKinds(s.LaterChanges))
		} else {
			out += "; the document has not been changed since"
		}
		if c, ok := check(s, verify.RevocationCheck); ok && c.Status == verify.CheckWarning {
			out += " (revocation was not checked)"
		}
		return out + "."
	case verify.TotalFailed:
		switch s.SubIndication {
		case verify.HashFailure:
			return fmt.Sprintf("INVALID: the document was changed after %s signed it: the signed bytes no longer match the signature.", who)
		case verify.SigCryptoFailure:
			chain, _ := check(s, verify.ChainCheck)
			if decisive.Name == verify.SealCheck && chain.Status != verify.CheckIndeterminate {
				return fmt.Sprintf("INVALID: the electronic seal in the signature of %s is forged or damaged (its maker's signature does not verify).", who)
			}
			return fmt.Sprintf("INVALID: the %s attributed to %s is forged or damaged: it does not verify with the signer's key.", what, who)
		case verify.Revoked:
			if decisive.Name == verify.SealCheck && strings.Contains(decisive.Detail, "the seal was revoked") {
				return fmt.Sprintf("INVALID: %s had been revoked when it was used (%s).", who, clauseWith(decisive.Detail, "the seal was revoked"))
			}
			return fmt.Sprintf("INVALID: the certificate of %s had been revoked when the signature was made.", who)
		case verify.ExpiredSub:
			return fmt.Sprintf("INVALID: %s signed%s with a certificate that had already expired.", who, when)
		case verify.NotYetValid:
			return fmt.Sprintf("INVALID: %s signed%s with a certificate that was not yet valid.", who, when)
		case verify.SigConstraintsFailure:
			if decisive.Name == verify.LicenceCheck && s.Licence != nil {
				return fmt.Sprintf("NOT IN FORCE: the seal of %s is sound, but the licence %s may not be relied on (%s).", who, s.Licence.ID, firstClause(decisive.Detail))
			}
			return fmt.Sprintf("INVALID: %s was used against the seal's rules (%s).", who, firstClause(decisive.Detail))
		case verify.FormatFailure:
			switch decisive.Name {
			case verify.LaterChangesCheck:
				return fmt.Sprintf("INVALID: the document was changed after %s signed it in a way that is not allowed: what is shown is not what was signed.", who)
			case verify.ByteRangeCheck:
				return fmt.Sprintf("INVALID: the signature of %s does not protect the whole document (its byte range is wrong or misleading).", who)
			case verify.SealCheck:
				return fmt.Sprintf("INVALID: the electronic seal in the signature of %s cannot be read.", who)
			}
			return fmt.Sprintf("INVALID: the %s is malformed: %s.", what, firstClause(decisive.Detail))
		}
		return fmt.Sprintf("INVALID (%s): %s.", s.SubIndication, firstClause(decisive.Detail))
	case verify.Indeterminate:
		switch s.SubIndication {
		case verify.NoCertificateChainFound:
			if decisive.Name == verify.SealCheck {
				return fmt.Sprintf("Cannot be decided: the maker of %s is not a trusted authority here%s.", who, intact)
			}
			issuer := "its issuer"
			if s.Signer != nil {
				issuer = fmt.Sprintf("%q", issuerName(s))
			}
			return fmt.Sprintf("Cannot be decided: the certificate of %s, issued by %s, does not lead to a trusted root%s.", who, issuer, intact)
		case verify.NoSigningCertificateFound:
			return fmt.Sprintf("Cannot be decided: the signer's certificate is missing from the %s or does not match it.", what)
		case verify.RevokedNoPOE, verify.RevokedCANoPOE:
			if decisive.Name == verify.SealCheck {
				return fmt.Sprintf("Cannot be decided: %s was revoked, and no trusted timestamp proves the signature was made before (%s).", who, clauseWith(decisive.Detail, "the seal was revoked"))
			}
			whose := "the certificate"
			if s.SubIndication == verify.RevokedCANoPOE {
				whose = "a CA certificate in the chain"
			}
			rev := undecidedRevocation(s)
			if rev == nil {
				return fmt.Sprintf("Cannot be decided: %s of %s was revoked, but no trusted timestamp proves the signature was made before the revocation.", whose, who)
			}
			at := effective(rev)
			claim := "the signature states no signing time"
			switch {
			case s.SigningTime != nil && s.SigningTime.Equal(at):
				claim = "the signature claims the same second"
			case s.SigningTime != nil:
				claim = "the signature claims an earlier time (" + clock(*s.SigningTime) + ")"
			}
			return fmt.Sprintf("Cannot be decided: %s of %s was revoked on %s (%s); %s, but no trusted timestamp proves it was made before the revocation.",
				whose, who, clock(at), rev.Reason, claim)
		case verify.OutOfBoundsNoPOE:
			return fmt.Sprintf("Cannot be decided: the certificate of %s has expired and no trusted timestamp proves the signature was made while it was valid%s.", who, intact)
		case verify.TryLater:
			switch decisive.Name {
			case verify.ChainCheck:
				return fmt.Sprintf("Cannot be decided now: the trust anchors could not be loaded%s.", intact)
			case verify.SealCheck:
				return fmt.Sprintf("Cannot be decided now: the seal maker of %s cannot be checked (%s).", who, firstClause(decisive.Detail))
			}
			return fmt.Sprintf("Cannot be decided now: whether the certificate of %s was revoked is unknown%s; try again when revocation information is available.", who, intact)
		case verify.ChainConstraintsFailure:
			return fmt.Sprintf("Cannot be accepted: the certificates of %s do not meet the rules for signing (%s).", who, firstClause(decisive.Detail))
		case verify.CryptoConstraintsFailureNoPOE:
			return fmt.Sprintf("Cannot be decided: the signature of %s relies on algorithms that are no longer secure, and nothing proves it existed while they were%s.", who, intact)
		case verify.CryptoConstraintsFailure:
			return fmt.Sprintf("Cannot be decided: the %s uses an algorithm this verifier does not support.", what)
		case verify.SignedDataNotFound:
			return fmt.Sprintf("Cannot be decided: the bytes the %s of %s signs were not checked (%s).", what, who, firstClause(decisive.Detail))
		}
		return fmt.Sprintf("Cannot be decided (%s): %s.", s.SubIndication, firstClause(decisive.Detail))
	}
	return ""
}

// sealSummary is Summary for a seal judged on its own (verify.VerifySeal).
func sealSummary(s *verify.SignatureReport, clock func(time.Time) string) string {
	name := "the seal"
	if s.Seal != nil && s.Seal.Name != "" {
		name = fmt.Sprintf("the seal %q", s.Seal.Name)
	}
	decisive := decisiveCheck(s)
	switch s.Indication {
	case verify.TotalPassed:
		out := fmt.Sprintf("Valid: %s was made by a trusted seal maker and is in force", name)
		if s.Seal != nil && !s.Seal.ValidEnd.IsZero() {
			out += " until " + clock(s.Seal.ValidEnd)
		}
		if s.Signer != nil {
			out += fmt.Sprintf("; %q may use it", s.Signer.CommonName)
		}
		return out + "."
	case verify.TotalFailed:
		switch s.SubIndication {
		case verify.SigCryptoFailure:
			return fmt.Sprintf("INVALID: %s is forged or damaged: its maker's signature does not verify.", name)
		case verify.ExpiredSub:
			return fmt.Sprintf("Not in force: %s has expired (%s).", name, firstClause(decisive.Detail))
		case verify.NotYetValid:
			return fmt.Sprintf("Not in force: %s is not valid yet (%s).", name, firstClause(decisive.Detail))
		case verify.SigConstraintsFailure:
			return fmt.Sprintf("INVALID for this signer: %s does not list the given certificate among its allowed signers.", name)
		case verify.Revoked:
			if strings.Contains(decisive.Detail, "the seal was revoked") {
				return fmt.Sprintf("Revoked: %s may not be used (%s).", name, clauseWith(decisive.Detail, "the seal was revoked"))
			}
			return fmt.Sprintf("INVALID: the certificate of the maker of %s had been revoked when the seal was made.", name)
		}
		return fmt.Sprintf("INVALID (%s): %s.", s.SubIndication, firstClause(decisive.Detail))
	case verify.Indeterminate:
		switch s.SubIndication {
		case verify.NoCertificateChainFound:
			return fmt.Sprintf("Cannot be decided: %s is intact, but its maker is not a trusted authority here.", name)
		case verify.TryLater:
			return fmt.Sprintf("Cannot be decided now: the maker of %s cannot be checked (%s).", name, firstClause(decisive.Detail))
		}
		return fmt.Sprintf("Cannot be decided (%s): %s.", s.SubIndication, firstClause(decisive.Detail))
	}
	return ""
}

// decisiveCheck is the check that decided the verdict: the first failed one of a TOTAL_FAILED
// signature, the first indeterminate one of an INDETERMINATE signature.
func decisiveCheck(s *verify.SignatureReport) verify.Check {
	for _, c := range s.Checks {
		if (s.Indication == verify.TotalFailed && c.Status == verify.CheckFailed) ||
			(s.Indication == verify.Indeterminate && c.Status == verify.CheckIndeterminate) {
			return c
		}
	}
	return verify.Check{}
}

func check(s *verify.SignatureReport, name verify.CheckName) (verify.Check, bool) {
	for _, c := range s.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return verify.Check{}, false
}

// isIntact: the signed bytes are the document (the byte range check, where the format has one)
// and unchanged, and the signature over them verifies.
func isIntact(s *verify.SignatureReport) bool {
	for _, name := range []verify.CheckName{verify.IntegrityCheck, verify.SignatureValueCheck} {
		if c, ok := check(s, name); !ok || c.Status != verify.CheckPassed {
			return false
		}
	}
	c, ok := check(s, verify.ByteRangeCheck)
	return !ok || c.Status == verify.CheckPassed
}

// undecidedRevocation is the revocation that leaves s undecided: the first certificate of the
// chain (the signer's first) revoked after the claimed signing time and with no proof of
// existence before it.
func undecidedRevocation(s *verify.SignatureReport) *verify.RevocationInfo {
	revs := []*verify.RevocationInfo{s.Revocation}
	for i, p := range s.Chain {
		if i > 0 {
			revs = append(revs, p.Revocation)
		}
	}
	for _, r := range revs {
		if r == nil || r.Status != verify.RevocationRevoked {
			continue
		}
		at := effective(r)
		if s.ProofOfExistence != nil && s.ProofOfExistence.Time.Before(at) {
			continue // proven before: the revocation does not matter
		}
		if s.SigningTime != nil && s.SigningTime.After(at) {
			continue // claimed after: that convicts, it does not leave undecided
		}
		return r
	}
	return nil
}

// effective is when a revoked certificate stopped being trustworthy: its revocation, or the
// invalidity date when earlier.
func effective(r *verify.RevocationInfo) time.Time {
	if !r.InvalidityDate.IsZero() && (r.RevokedAt.IsZero() || r.InvalidityDate.Before(r.RevokedAt)) {
		return r.InvalidityDate
	}
	return r.RevokedAt
}

// issuerName is the CN of the signer's issuer, or the whole issuer name.
func issuerName(s *verify.SignatureReport) string {
	for _, part := range strings.Split(s.Signer.Issuer, ", ") {
		if cn, ok := strings.CutPrefix(part, "CN="); ok {
			return cn
		}
	}
	return s.Signer.Issuer
}

func changeKinds(cs []verify.Change) string {
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

// firstClause shortens a detail to its first clause for a summary.
func firstClause(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// clauseWith is the clause of a detail (clauses are joined by "; ") that contains key, or the
// first one.
func clauseWith(detail, key string) string {
	for _, c := range strings.Split(detail, "; ") {
		if strings.Contains(c, key) {
			return strings.TrimSuffix(c, ".")
		}
	}
	return firstClause(detail)
}
