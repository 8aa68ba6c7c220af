package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// part collects the findings of a check that looks at several things (the seal, the chain's
// validity, revocation): the check's status is the worst of them, its sub-indication the first
// of that status.
type part struct {
	facts  []string
	status CheckStatus
	sub    SubIndication
}

var statusRank = map[CheckStatus]int{CheckSkipped: 0, CheckPassed: 1, CheckWarning: 2, CheckIndeterminate: 3, CheckFailed: 4}

func newPart() *part { return &part{status: CheckPassed} }

func (p *part) note(status CheckStatus, sub SubIndication, format string, args ...any) {
	p.facts = append(p.facts, fmt.Sprintf(format, args...))
	if statusRank[status] > statusRank[p.status] {
		p.status, p.sub = status, sub
	}
}

func (p *part) addTo(st *sigState, name CheckName) {
	st.add(name, p.status, p.sub, "%s", strings.Join(p.facts, "; "))
}

// ---- claimed signing time ----

// setClaimedTime takes the signer's claimed signing time: the signingTime signed attribute, else
// the signature dictionary's /M (which the ByteRange also covers). Neither is a proof.
func (v *verifier) setClaimedTime(st *sigState) {
	switch {
	case !st.ev.claimed.IsZero():
		st.claimed, st.claimedSrc = st.ev.claimed, st.ev.claimedSrc // a document timestamp's genTime
	case st.ev.si != nil && !st.ev.si.SigningTime.IsZero():
		st.claimed, st.claimedSrc = st.ev.si.SigningTime.UTC(), "signed attribute"
	case !st.in.claimed.IsZero():
		st.claimed, st.claimedSrc = st.in.claimed, st.in.claimedSrc
	}
}

// ---- signer certificate ----

func (v *verifier) checkSignerCertificate(st *sigState) {
	if !st.formatOK {
		st.add(SignerCertificateCheck, CheckSkipped, "", "not checked: the signature container could not be read")
		return
	}
	si := st.ev.si
	role := "signer"
	if st.ev.token != nil {
		role = "timestamping authority (TSA)"
	}
	if st.ev.signer == nil && st.ev.kind == containerSES {
		_, err := smcrypto.ParseCertificate(st.ev.ses.SignerCert)
		key := "its key cannot be read either"
		if st.ev.signerKey != nil {
			key = "its public key was read from it leniently, for the signature value and the References"
		}
		st.add(SignerCertificateCheck, CheckIndeterminate, NoSigningCertificateFound,
			"the signer certificate in the SES_Signature cannot be read as X.509 (%v); %s, but the signer cannot be identified, trusted or checked for validity and revocation", err, key)
		return
	}
	if st.ev.signer == nil {
		var id string
		switch {
		case si.SerialNumber != nil:
			id = fmt.Sprintf("issuer %q and serial %s", rawNameString(si.IssuerRaw), smcrypto.SerialHex(si.SerialNumber))
		case len(si.SubjectKeyID) > 0:
			id = fmt.Sprintf("subject key identifier %x", si.SubjectKeyID)
		default:
			id = "no identifier"
		}
		var have []string
		for _, c := range st.ev.certs {
			have = append(have, certLabel(c))
		}
		bad := 0
		if st.ev.sd != nil {
			for _, e := range st.ev.sd.CertificateErrors {
				if e != nil {
					bad++
				}
			}
		}
		detail := fmt.Sprintf("the %s's certificate (%s) is not among the %s the signature carries", role, id, plural(len(st.ev.certs), "readable certificate"))
		if len(have) > 0 {
			detail += " (" + strings.Join(have, ", ") + ")"
		}
		if bad > 0 {
			detail += fmt.Sprintf("; %s could not be parsed", plural(bad, "embedded certificate"))
		}
		st.add(SignerCertificateCheck, CheckIndeterminate, NoSigningCertificateFound, "%s", detail)
		return
	}
	st.rep.Signer = partyOf(st.ev.signer)
	detail := fmt.Sprintf("the %s is %s, issued by %q, %s key", role, certLabel(st.ev.signer), issuerOf(st.ev.signer), keyDescription(st.ev.signer.PublicKey))
	switch {
	case st.ev.kind == containerPKCS1:
		detail += "; taken from /Cert (nothing inside the signature names it: only the signature verifying binds it)"
	case st.ev.kind == containerSES:
		detail += "; the SES_Signature carries it, and its signature over TBS_Sign binds it"
	case st.ev.kind == containerBareSM2:
		detail += "; given by the caller, not carried by the signature: only the signature verifying binds it"
	case si.SerialNumber != nil:
		detail += "; it matches the signer's issuer and serial number"
	default:
		detail += "; it matches the signer's subject key identifier"
	}
	if si.SigningCertificateHash != nil {
		h, err := smcrypto.NewDigest(si.SigningCertificateHashAlgorithm)
		if err != nil {
			st.add(SignerCertificateCheck, CheckWarning, "", "%s; the ESS signing-certificate attribute uses %s, which cannot be computed, so the certificate binding is not confirmed",
				detail, oidName(si.SigningCertificateHashAlgorithm))
			return
		}
		h.Write(st.ev.signer.Raw)
		if sum := h.Sum(nil); !bytes.Equal(sum, si.SigningCertificateHash) {
			st.add(SignerCertificateCheck, CheckIndeterminate, NoSigningCertificateFound,
				"%s; but the signed ESS signing-certificate attribute names a certificate whose %s hash is %s, while this certificate's is %s: "+
					"the certificate was substituted, so the signer is not the one the signature names", detail,
				shortOIDName(si.SigningCertificateHashAlgorithm), digestPrefix(si.SigningCertificateHash), digestPrefix(sum))
			return
		}
		detail += fmt.Sprintf("; the signed ESS signing-certificate attribute (%s hash %s) confirms it", shortOIDName(si.SigningCertificateHashAlgorithm), digestPrefix(si.SigningCertificateHash))
	} else if len(si.SignedAttrsDER) > 0 {
		detail += "; no signed ESS signing-certificate attribute (the issuer and serial number alone identify it)"
	}
	st.add(SignerCertificateCheck, CheckPassed, "", "%s", detail)
}

// rawNameString renders a DER Name for a detail.
func rawNameString(raw []byte) string {
	var n pkixName
	if err := n.parse(raw); err != nil {
		return fmt.Sprintf("(unreadable name, %d bytes)", len(raw))
	}
	return nameString(n.Name)
}

// ---- seal ----

// SealCheck checks the GB/T 38540 seal carried as a signed attribute: its maker's signature, that
// the signer is one of its allowed signers, that it was valid at the signing time, and that its
// maker is trusted (GB/T 38540-2020 §7.3).
//
// A seal rule that is broken (signer not in certList, seal not valid at the signing time) makes
// the signature TOTAL_FAILED with SIG_CONSTRAINTS_FAILURE: ETSI lists that sub-indication under
// INDETERMINATE for policy constraints a verifier may relax, but no further information could cure
// these, and GB/T 38540 makes them mandatory.
func (v *verifier) checkSeal(st *sigState) {
	if st.seal == nil {
		return
	}
	w, err := st.seal()
	if err != nil {
		st.add(SealCheck, CheckFailed, FormatFailure, "the signed seal attribute is not a readable GB/T 38540 seal: %v", err)
		return
	}
	s, maker, makerErr := w.seal, w.maker, w.makerErr
	info := &SealInfo{Name: s.Name, ESID: s.ESID, Type: s.Type, Version: s.Version, ValidStart: s.ValidStart.UTC(), ValidEnd: s.ValidEnd.UTC(), Created: s.CreateDate.UTC()}
	if len(s.Picture.Data) > 0 {
		info.Picture = &PictureInfo{Type: s.Picture.Type, WidthMM: s.Picture.WidthMM, HeightMM: s.Picture.HeightMM, Size: len(s.Picture.Data)}
		if v.opts.IncludePictures {
			info.Picture.Data = s.Picture.Data
		}
	}
	if makerErr == nil {
		info.Maker = subjectOf(maker)
	}
	st.rep.Seal = info
	p := newPart()
	p.note(CheckPassed, "", "seal %q (esID %s, type %d, version %d)", s.Name, s.ESID, s.Type, s.Version)

	if w.sigErr != nil {
		p.note(CheckFailed, SigCryptoFailure, "the seal maker's signature over the seal does NOT verify (%v): the seal was forged or altered", w.sigErr)
	} else {
		e := ""
		if w.enc != smcrypto.EncodingDER {
			e = fmt.Sprintf(", value encoded as %s (non-standard, accepted)", w.enc)
		}
		p.note(CheckPassed, "", "the maker's SM2 signature over the seal verifies%s", e)
	}

	if st.ev.signer != nil {
		ok, err := s.AllowsSigner(st.ev.signer.Raw)
		switch {
		case err != nil:
			p.note(CheckIndeterminate, SigConstraintsFailure, "cannot tell whether the signer may use this seal: %v", err)
		case !ok:
			p.note(CheckFailed, SigConstraintsFailure, "the signer's certificate %s is NOT among the seal's %s: the seal was applied by a signer it does not belong to",
				certLabel(st.ev.signer), plural(len(s.Certs)+len(s.CertDigests), "allowed signer"))
		default:
			p.note(CheckPassed, "", "the signer's certificate is one of the seal's allowed signers (certList)")
		}
	}

	t, src := st.claimed, "claimed signing time"
	if t.IsZero() || (!st.poe.IsZero() && st.poe.Before(t)) {
		t, src = st.poe, "proven time"
	}
	switch {
	case st.sealAlone:
		switch {
		case t.Before(s.ValidStart):
			p.note(CheckFailed, NotYetValid, "the seal is valid from %s to %s, not yet at the validation time %s",
				v.fmtTime(s.ValidStart), v.fmtTime(s.ValidEnd), v.fmtTime(t))
		case s.ValidAt(t) != nil:
			p.note(CheckFailed, ExpiredSub, "the seal is valid from %s to %s: it has expired at the validation time %s",
				v.fmtTime(s.ValidStart), v.fmtTime(s.ValidEnd), v.fmtTime(t))
		default:
			p.note(CheckPassed, "", "the seal's validity %s to %s covers the validation time %s", v.fmtTime(s.ValidStart), v.fmtTime(s.ValidEnd), v.fmtTime(t))
		}
	case t.IsZero():
		p.note(CheckIndeterminate, SigConstraintsFailure, "the signature states no signing time, so it cannot be told whether the seal (valid %s to %s) was valid when it was used",
			v.fmtTime(s.ValidStart), v.fmtTime(s.ValidEnd))
	case s.ValidAt(t) != nil:
		p.note(CheckFailed, SigConstraintsFailure, "the seal is valid from %s to %s, but the %s is %s: the seal was used outside its validity",
			v.fmtTime(s.ValidStart), v.fmtTime(s.ValidEnd), src, v.fmtTime(t))
	default:
		p.note(CheckPassed, "", "the seal's validity %s to %s covers the %s %s", v.fmtTime(s.ValidStart), v.fmtTime(s.ValidEnd), src, v.fmtTime(t))
		if v.now.After(s.ValidEnd) && st.poe.IsZero() {
			p.note(CheckWarning, "", "the seal has expired since (%s) and no trusted timestamp proves the signature was made before", v.fmtTime(s.ValidEnd))
		}
	}

	v.sealRevocation(st, s, t, info, p)

	if makerErr != nil {
		p.note(CheckIndeterminate, NoCertificateChainFound, "the maker's certificate cannot be read (%v), so the seal cannot be traced to a trust anchor", makerErr)
	} else {
		v.sealMakerTrust(st, s, maker, p)
	}
	// Each deviation from the standard that was tolerated is a warning, never silent.
	for _, q := range s.Quirks {
		p.note(CheckWarning, "", "tolerated deviation from the standard in the seal: %s", q)
	}
	p.addTo(st, SealCheck)
}

// sealRevocation asks the revocation source whether the seal itself was revoked (by its esID),
// and judges it as a certificate's revocation: before the time of use it fails the seal; after
// it, only a trusted proof of existence before the revocation keeps the signature.
func (v *verifier) sealRevocation(st *sigState, s *seal.Seal, t time.Time, info *SealInfo, p *part) {
	rc, ok := v.opts.Revocation.(SealRevocationChecker)
	if !ok {
		return
	}
	status, err := rc.SealStatus(s.ESID, s.Raw)
	if err != nil {
		info.Revocation = revocationInfo(status, err)
		p.note(CheckIndeterminate, TryLater, "whether the seal was revoked is unknown: the revocation source failed (%v)", err)
		return
	}
	if !status.Known {
		return // another issuer's seal: its source is not this one
	}
	info.Revocation = revocationInfo(status, nil)
	if !status.Revoked {
		p.note(CheckPassed, "", "the seal is not revoked (%s)", orUnknown(status.Source))
		return
	}
	eff := effectiveRevocation(status)
	what := fmt.Sprintf("the seal was revoked on %s (%s)", v.fmtTime(eff), reasonName(status.Reason))
	switch {
	case st.sealAlone:
		p.note(CheckFailed, Revoked, "%s: it may not be used", what)
	case !st.poe.IsZero() && st.poe.Before(eff):
		p.note(CheckWarning, "", "%s, after the %s that proves the signature existed on %s", what, st.poeSrc, v.fmtTime(st.poe))
	case !t.IsZero() && t.After(eff):
		// As for certificates: a claim of the very second of the revocation proves nothing.
		p.note(CheckFailed, Revoked, "%s, before it was used on %s", what, v.fmtTime(t))
	default:
		p.note(CheckIndeterminate, RevokedNoPOE, "%s; the signature claims an earlier time (%s), but nothing proves it was made before the revocation", what, v.fmtTime(t))
	}
}

// sealMakerTrust chains the seal maker's certificate to a trust anchor and checks its revocation.
func (v *verifier) sealMakerTrust(st *sigState, s *seal.Seal, maker *smcrypto.Certificate, p *part) {
	if len(v.anchors) == 0 {
		if v.anchorsErr != nil {
			p.note(CheckIndeterminate, TryLater, "the trust anchors could not be loaded (%v), so the seal maker %q cannot be traced to one", v.anchorsErr, subjectOf(maker))
			return
		}
		p.note(CheckIndeterminate, NoCertificateChainFound, "no trust anchors are configured, so the seal maker %q cannot be trusted", subjectOf(maker))
		return
	}
	chain, err := v.findChain(maker, st.ev.certs, v.now, s.CreateDate)
	if err != nil {
		sub, msg := chainFailure(err, maker, st.ev.certs, v.anchors)
		p.note(CheckIndeterminate, sub, "the seal maker's certificate %s does not chain to a trust anchor: %s", certLabel(maker), msg)
		return
	}
	p.note(CheckPassed, "", "the seal maker %s chains to the trust anchor %q", certLabel(maker), subjectOf(chain[len(chain)-1]))
	v.sealMakerValidity(s, chain, p)
	if len(chain) < 2 {
		return
	}
	if v.opts.Revocation == nil {
		st.rep.Seal.MakerRevocation = &RevocationInfo{Status: RevocationUnknown, UnknownBecause: UnknownNoSource}
		v.noRevocationInfo(p, fmt.Sprintf("no revocation source is configured for the seal maker's certificate %s", certLabel(maker)))
		return
	}
	status, err := v.opts.Revocation.CertificateStatus(maker, chain[1])
	st.rep.Seal.MakerRevocation = revocationInfo(status, err)
	switch {
	case err != nil:
		p.note(CheckIndeterminate, TryLater, "the revocation status of the seal maker's certificate is unknown: the revocation source failed (%v)", err)
	case !status.Known:
		v.noRevocationInfo(p, fmt.Sprintf("the revocation source (%s) has no information about the seal maker's certificate %s", orUnknown(status.Source), certLabel(maker)))
	case status.Revoked:
		eff := effectiveRevocation(status)
		if !s.CreateDate.IsZero() && !s.CreateDate.Before(eff) {
			p.note(CheckFailed, Revoked, "the seal maker's certificate was revoked on %s (%s), before the seal was made on %s", v.fmtTime(eff), reasonName(status.Reason), v.fmtTime(s.CreateDate))
		} else {
			p.note(CheckWarning, "", "the seal maker's certificate was revoked on %s (%s), after the seal was made on %s (GM/T 0031-2025 treats this as a warning)",
				v.fmtTime(eff), reasonName(status.Reason), v.fmtTime(s.CreateDate))
		}
	default:
		p.note(CheckPassed, "", "the seal maker's certificate is not revoked (%s)", orUnknown(status.Source))
	}
}

// sealMakerValidity judges the validity of the seal maker's chain. The maker signed the seal's
// creation date: a chain not valid then means the seal contradicts itself, as a signature whose
// claimed time lies outside its certificate's validity does. A chain valid then but not now
// only earns a warning: the seal is as good as when it was made.
func (v *verifier) sealMakerValidity(s *seal.Seal, chain []*smcrypto.Certificate, p *part) {
	if !s.CreateDate.IsZero() {
		if err := smcrypto.CheckValidityAt(chain, s.CreateDate); err != nil {
			var ce *smcrypto.ChainError
			errors.As(err, &ce)
			if s.CreateDate.Before(ce.Cert.NotBefore) {
				p.note(CheckFailed, NotYetValid, "%s is valid from %s, but the seal maker signed the seal as made on %s, before that",
					certLabel(ce.Cert), v.fmtTime(ce.Cert.NotBefore), v.fmtTime(s.CreateDate))
				return
			}
			p.note(CheckFailed, ExpiredSub, "%s expired on %s, but the seal maker signed the seal as made on %s, after that: the seal was made with an expired certificate",
				certLabel(ce.Cert), v.fmtTime(ce.Cert.NotAfter), v.fmtTime(s.CreateDate))
			return
		}
	}
	err := smcrypto.CheckValidityAt(chain, v.now)
	if err == nil {
		return
	}
	var ce *smcrypto.ChainError
	errors.As(err, &ce)
	if s.CreateDate.IsZero() {
		p.note(CheckIndeterminate, OutOfBoundsNoPOE, "%s is not valid now (%s to %s) and the seal states no creation date, so it cannot be told whether it was valid when the seal was made",
			certLabel(ce.Cert), v.fmtTime(ce.Cert.NotBefore), v.fmtTime(ce.Cert.NotAfter))
		return
	}
	p.note(CheckWarning, "", "%s is not valid now (%s to %s); it was when the seal was made (%s)",
		certLabel(ce.Cert), v.fmtTime(ce.Cert.NotBefore), v.fmtTime(ce.Cert.NotAfter), v.fmtTime(s.CreateDate))
}

// ---- signature timestamp and proof of existence ----

// evaluateTimestamp verifies the signature timestamp token (an unsigned attribute): it must cover
// this signature value, verify, and come from a TSA that chains to a trust anchor; then its time
// proves the signature existed. A bad or untrusted token is reported, not held against the
// signature (anyone can add or damage unsigned attributes): it is simply no proof.
func (v *verifier) evaluateTimestamp(st *sigState) {
	v.setClaimedTime(st)
	if st.ev.token != nil || st.ev.si == nil || st.ev.si.TimestampToken == nil {
		return
	}
	c := Check{Name: TimestampCheck}
	warn := func(format string, args ...any) {
		c.Status, c.Detail = CheckWarning, fmt.Sprintf(format, args...)+"; it is ignored and proves nothing"
		st.tsCheck = &c
	}
	tok, err := parseTimestampToken(st.ev.si.TimestampToken, v.anchors)
	if err != nil {
		warn("the signature timestamp token cannot be read: %v", err)
		return
	}
	h, err := smcrypto.NewDigest(tok.info.ImprintAlg)
	if err != nil {
		warn("the signature timestamp's imprint algorithm %s is not supported", oidName(tok.info.ImprintAlg))
		return
	}
	h.Write(st.ev.si.Signature)
	if sum := h.Sum(nil); !bytes.Equal(sum, tok.info.HashedMessage) {
		warn("the signature timestamp of %s does not cover this signature value (its imprint is %s, the %s of the signature value is %s)",
			v.fmtTime(tok.info.GenTime), digestPrefix(tok.info.HashedMessage), shortOIDName(tok.info.ImprintAlg), digestPrefix(sum))
		return
	}
	if _, err := tok.verifySignature(); err != nil {
		warn("the TSA's signature on the timestamp of %s does not verify: %v", v.fmtTime(tok.info.GenTime), err)
		return
	}
	tsa := certLabel(tok.cert)
	if len(v.anchors) == 0 {
		c.Status, c.Detail = CheckWarning, fmt.Sprintf("the signature timestamp of %s by %s is intact, but no trust anchors are configured, so it is no proof of existence", v.fmtTime(tok.info.GenTime), tsa)
		st.tsCheck = &c
		return
	}
	tsaCerts := append(append([]*smcrypto.Certificate{}, tok.sd.Certificates...), st.ev.certs...)
	chain, err := v.findChain(tok.cert, tsaCerts, tok.info.GenTime)
	if err != nil {
		_, msg := chainFailure(err, tok.cert, tsaCerts, v.anchors)
		c.Status, c.Detail = CheckWarning, fmt.Sprintf("the signature timestamp of %s by %s is intact, but its TSA is not trusted (%s), so it is no proof of existence", v.fmtTime(tok.info.GenTime), tsa, msg)
		st.tsCheck = &c
		return
	}
	// A TSA vouches for its time only while its certificates are valid.
	if err := smcrypto.CheckValidityAt(chain, tok.info.GenTime); err != nil {
		var ce *smcrypto.ChainError
		errors.As(err, &ce)
		warn("the signature timestamp of %s by %s chains to %q, but %s was not valid at the time it states (valid %s to %s)",
			v.fmtTime(tok.info.GenTime), tsa, subjectOf(chain[len(chain)-1]), certLabel(ce.Cert), v.fmtTime(ce.Cert.NotBefore), v.fmtTime(ce.Cert.NotAfter))
		return
	}
	detail := fmt.Sprintf("a timestamp by %s (chaining to %q) covers this signature value and proves it existed on %s", tsa, subjectOf(chain[len(chain)-1]), v.fmtTime(tok.info.GenTime))
	if !hasTimeStampingEKU(tok.cert) {
		detail += "; note: the TSA certificate lacks the timeStamping extended key usage RFC 3161 requires"
	}
	if !st.claimed.IsZero() && st.claimed.After(tok.info.GenTime.Add(5*time.Minute)) {
		detail += fmt.Sprintf("; note: the claimed signing time %s is after the timestamp", v.fmtTime(st.claimed))
	}
	c.Status, c.Detail = CheckPassed, detail
	st.tsCheck = &c
	st.poe, st.poeSrc = tok.info.GenTime, fmt.Sprintf("the signature timestamp by %q", commonName(tok.cert))
	if st.claimed.IsZero() {
		st.claimed, st.claimedSrc = tok.info.GenTime, "timestamp"
	}
}

// proofOfExistence takes the earliest trusted time that proves the signature existed: its own
// timestamp, or a later document timestamp whose signed bytes include it.
func (v *verifier) proofOfExistence(st *sigState, timestamps []*sigState) {
	for _, d := range timestamps {
		if d == st || d.trustedTime.IsZero() || d.in.signedEnd < st.in.signedEnd || st.in.signedEnd == 0 {
			continue
		}
		if st.poe.IsZero() || d.trustedTime.Before(st.poe) {
			st.poe = d.trustedTime
			st.poeSrc = fmt.Sprintf("the document timestamp %d by %q", d.rep.Index, commonName(d.ev.signer))
		}
	}
}

// ---- certificate chain ----

// findChain builds a chain from leaf to a trust anchor through intermediates. The search does
// not depend on time (a certificate that has expired since is still part of its chain); among
// several chains, one valid at the earliest listed of times is preferred. The callers judge the
// validity periods at the times that matter to them. One smcrypto.ChainBuilder serves the whole
// document, so each certificate path is verified once.
func (v *verifier) findChain(leaf *smcrypto.Certificate, intermediates []*smcrypto.Certificate, prefer ...time.Time) ([]*smcrypto.Certificate, error) {
	if leaf == nil {
		return nil, errors.New("no certificate")
	}
	return v.chains.FindChain(leaf, intermediates, smcrypto.ChainOptions{Prefer: prefer})
}

// chainFailure turns a chain error into a sub-indication and words. When the issuer names do
// not even lead to an anchor, that is the answer (NO_CERTIFICATE_CHAIN_FOUND), whatever else the
// chain search stumbled on first.
func chainFailure(err error, leaf *smcrypto.Certificate, certs, anchors []*smcrypto.Certificate) (SubIndication, string) {
	path, anchored := namePath(leaf, certs, anchors)
	if !anchored {
		return NoCertificateChainFound, noPathWords(path, anchors)
	}
	var ce *smcrypto.ChainError
	if !errors.As(err, &ce) {
		return CertificateChainGeneral, err.Error()
	}
	switch ce.Reason {
	case smcrypto.ChainNoPath:
		return NoCertificateChainFound, noPathWords(path, anchors)
	case smcrypto.ChainNotAuthorized:
		return ChainConstraintsFailure, fmt.Sprintf("%s may not issue certificates (%s)", certLabel(ce.Cert), ce.Detail)
	case smcrypto.ChainWeakAlgorithm:
		return CryptoConstraintsFailureNoPOE, fmt.Sprintf("the certificate %s is signed with an algorithm no longer accepted for certificates (%s)", certLabel(ce.Cert), ce.Detail)
	case smcrypto.ChainBadSignature:
		return CertificateChainGeneral, fmt.Sprintf("the signature on %s does not verify: %s (a forged or damaged certificate)", certLabel(ce.Cert), ce.Detail)
	case smcrypto.ChainExpired:
		return CertificateChainGeneral, fmt.Sprintf("there is no time at which all certificates of the path were valid together (%s: %s)", certLabel(ce.Cert), ce.Detail)
	}
	return CertificateChainGeneral, ce.Error()
}

// namePath follows issuer names from leaf through certs to an anchor, without checking
// signatures or times: it says where a chain would end.
func namePath(leaf *smcrypto.Certificate, certs, anchors []*smcrypto.Certificate) ([]*smcrypto.Certificate, bool) {
	path := []*smcrypto.Certificate{leaf}
	cur := leaf
	for range 16 {
		for _, a := range anchors {
			if bytes.Equal(a.Raw, cur.Raw) || bytes.Equal(a.RawSubject, cur.RawIssuer) {
				if !bytes.Equal(a.Raw, cur.Raw) {
					path = append(path, a)
				}
				return path, true
			}
		}
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) {
			return path, false // a self-signed certificate that is not an anchor
		}
		next := issuerAmong(cur, certs)
		if next == nil {
			return path, false
		}
		path = append(path, next)
		cur = next
	}
	return path, false
}

func noPathWords(path []*smcrypto.Certificate, anchors []*smcrypto.Certificate) string {
	names := make([]string, 0, len(anchors))
	for _, a := range anchors {
		names = append(names, fmt.Sprintf("%q", subjectOf(a)))
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(anchors)-4))
	}
	configured := fmt.Sprintf("%s configured: %s", plural(len(anchors), "trust anchor"), strings.Join(names, ", "))
	if len(anchors) == 0 {
		configured = "no trust anchors are configured"
	}
	last := path[len(path)-1]
	steps := make([]string, len(path))
	for i, c := range path {
		steps[i] = fmt.Sprintf("%q", subjectOf(c))
	}
	via := ""
	if len(path) > 1 {
		via = fmt.Sprintf(" (the path %s)", strings.Join(steps, " → "))
	}
	if bytes.Equal(last.RawIssuer, last.RawSubject) {
		return fmt.Sprintf("the chain ends at %s, a self-signed certificate that is not a trust anchor%s; %s", certLabel(last), via, configured)
	}
	return fmt.Sprintf("the issuer %q of %s is neither a trust anchor nor among the certificates the signature carries%s; %s",
		issuerOf(last), certLabel(last), via, configured)
}

func (v *verifier) checkChain(st *sigState) {
	if st.ev.signer == nil {
		st.add(ChainCheck, CheckSkipped, "", "not checked: no signer certificate")
		return
	}
	if len(v.anchors) == 0 {
		if v.anchorsErr != nil {
			st.add(ChainCheck, CheckIndeterminate, TryLater, "the trust anchors could not be loaded (%v), so the certificate issued by %q cannot be traced to one", v.anchorsErr, issuerOf(st.ev.signer))
			return
		}
		st.add(ChainCheck, CheckIndeterminate, NoCertificateChainFound, "no trust anchors are configured, so the certificate issued by %q cannot be traced to a trusted root", issuerOf(st.ev.signer))
		return
	}
	chain, err := v.findChain(st.ev.signer, st.ev.certs, v.now, st.poe, st.claimed)
	sha1Note := ""
	var ce *smcrypto.ChainError
	if errors.As(err, &ce) && ce.Reason == smcrypto.ChainWeakAlgorithm && !st.poe.IsZero() && st.poe.Before(weakAfter) {
		// SHA-1 was acceptable when the signature provably existed, as for its own digest.
		chain, err = v.chains.FindChain(st.ev.signer, st.ev.certs, smcrypto.ChainOptions{Prefer: []time.Time{st.poe, v.now}, AllowSHA1: true})
		sha1Note = fmt.Sprintf("; certificates signed with SHA-1 are accepted: %s proves the signature existed on %s, before 2014", st.poeSrc, v.fmtTime(st.poe))
	}
	if err != nil {
		sub, msg := chainFailure(err, st.ev.signer, st.ev.certs, v.anchors)
		st.add(ChainCheck, CheckIndeterminate, sub, "no trusted chain: %s", msg)
		return
	}
	st.chain = chain
	names := make([]string, len(chain))
	for i, c := range chain {
		st.rep.Chain = append(st.rep.Chain, *partyOf(c))
		names[i] = fmt.Sprintf("%q", subjectOf(c))
	}
	st.add(ChainCheck, CheckPassed, "", "%s; %q is a configured trust anchor%s", strings.Join(names, " → "), subjectOf(chain[len(chain)-1]), sha1Note)
}

// ---- validity and key usage ----

func (v *verifier) checkValidity(st *sigState) {
	if st.ev.signer == nil {
		st.add(ValidityCheck, CheckSkipped, "", "not checked: no signer certificate")
		return
	}
	certs := st.chain
	p := newPart()
	if certs == nil {
		certs = []*smcrypto.Certificate{st.ev.signer}
		p.facts = append(p.facts, "(no trusted chain: the signer's certificate alone is judged)")
	}
	v.keyUsage(st, p)
	now := v.now
	claimed := st.claimed
	// The signer's own claim decides first: a signature whose claimed time lies outside a
	// certificate's validity contradicts itself.
	var outClaimed *smcrypto.Certificate
	if !claimed.IsZero() {
		outClaimed = invalidAt(certs, claimed)
	}
	if c := outClaimed; c != nil {
		st.rep.Validity = outside(c, claimed, AtClaimedSigningTime)
		if claimed.Before(c.NotBefore) {
			p.note(CheckFailed, NotYetValid, "%s is valid from %s, but the signature claims to be made on %s (%s), before that",
				certLabel(c), v.fmtTime(c.NotBefore), v.fmtTime(claimed), st.claimedSrc)
		} else {
			p.note(CheckFailed, ExpiredSub, "%s expired on %s, but the signature claims to be made on %s (%s), after that: it was made with an expired certificate",
				certLabel(c), v.fmtTime(c.NotAfter), v.fmtTime(claimed), st.claimedSrc)
		}
		p.addTo(st, ValidityCheck)
		return
	}
	outNow := invalidAt(certs, now)
	leaf := certs[0]
	switch {
	case outNow == nil:
		st.rep.Validity = &Validity{Status: ValidityValid, At: now, AtSource: AtValidationTime}
		at := ""
		if !claimed.IsZero() {
			at = fmt.Sprintf(" and at the claimed signing time %s", v.fmtTime(claimed))
		}
		p.note(CheckPassed, "", "%s is valid from %s to %s: valid now%s", certLabel(leaf), v.fmtTime(leaf.NotBefore), v.fmtTime(leaf.NotAfter), at)
		if len(certs) > 1 {
			p.note(CheckPassed, "", "so are its issuers")
		}
	case !st.poe.IsZero() && invalidAt(certs, st.poe) == nil:
		st.rep.Validity = &Validity{Status: ValidityValid, At: st.poe, AtSource: AtProofOfExistence}
		p.note(CheckPassed, "", "%s is not valid now (%s to %s), but %s proves the signature existed on %s, when every certificate of the chain was valid",
			certLabel(outNow), v.fmtTime(outNow.NotBefore), v.fmtTime(outNow.NotAfter), st.poeSrc, v.fmtTime(st.poe))
	case now.Before(outNow.NotBefore):
		st.rep.Validity = outside(outNow, now, AtValidationTime)
		p.note(CheckIndeterminate, OutOfBoundsNoPOE, "%s is not valid yet (from %s)", certLabel(outNow), v.fmtTime(outNow.NotBefore))
	default:
		st.rep.Validity = outside(outNow, now, AtValidationTime)
		why := "the signature states no signing time"
		if !claimed.IsZero() {
			why = fmt.Sprintf("it was valid at the claimed signing time %s (%s), but no trusted timestamp proves the signature was made then", v.fmtTime(claimed), st.claimedSrc)
		}
		p.note(CheckIndeterminate, OutOfBoundsNoPOE, "%s expired on %s; %s, so it may have been made after the certificate expired",
			certLabel(outNow), v.fmtTime(outNow.NotAfter), why)
	}
	if !claimed.IsZero() && claimed.After(now.Add(5*time.Minute)) {
		p.note(CheckWarning, "", "the claimed signing time %s lies after the validation time %s", v.fmtTime(claimed), v.fmtTime(now))
	}
	p.addTo(st, ValidityCheck)
}

// outside is the validity fact for certificate c, not valid at t.
func outside(c *smcrypto.Certificate, t time.Time, source string) *Validity {
	status := ValidityExpired
	if t.Before(c.NotBefore) {
		status = ValidityNotYetValid
	}
	return &Validity{Status: status, At: t.UTC(), AtSource: source, Certificate: partyOf(c)}
}

// invalidAt is the first certificate of certs not valid at t (smcrypto.CheckValidityAt), or nil.
func invalidAt(certs []*smcrypto.Certificate, t time.Time) *smcrypto.Certificate {
	var ce *smcrypto.ChainError
	if errors.As(smcrypto.CheckValidityAt(certs, t), &ce) {
		return ce.Cert
	}
	return nil
}

// keyUsage: a signer certificate must allow digitalSignature or nonRepudiation (contentCommitment)
// when it has a keyUsage extension; a TSA certificate must also be meant for timestamping.
func (v *verifier) keyUsage(st *sigState, p *part) {
	c := st.ev.signer
	const sign = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	if c.KeyUsage != 0 && int(c.KeyUsage)&int(sign) == 0 {
		p.note(CheckIndeterminate, ChainConstraintsFailure, "%s has key usage %s, which allows neither digitalSignature nor nonRepudiation: it is not meant for signing",
			certLabel(c), keyUsageString(int(c.KeyUsage)))
		return
	}
	if st.ev.token != nil && !hasTimeStampingEKU(c) {
		p.note(CheckWarning, "", "the TSA certificate lacks the timeStamping extended key usage RFC 3161 requires")
	}
	if c.KeyUsage == 0 {
		p.facts = append(p.facts, "no keyUsage extension (any use allowed)")
	} else {
		p.facts = append(p.facts, "key usage "+keyUsageString(int(c.KeyUsage))+" allows signing")
	}
}

func keyUsageString(ku int) string {
	names := []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

// ---- revocation ----

// noRevocationInfo notes that nobody can say whether a certificate was revoked: acceptable under
// the soft-fail policy, INDETERMINATE/TRY_LATER under the default one (fail closed).
func (v *verifier) noRevocationInfo(p *part, what string) {
	if v.opts.RevocationPolicy == RevocationSoftFail {
		p.note(CheckWarning, "", "%s (accepted: revocation policy soft-fail)", what)
		return
	}
	p.note(CheckIndeterminate, TryLater, "%s: nobody here knows whether it was revoked, and the revocation policy requires it", what)
}

// effectiveRevocation is when the certificate stopped being trustworthy: the revocation time, or
// the invalidity date (key compromise) when that is earlier.
func effectiveRevocation(s RevocationStatus) time.Time {
	if !s.InvalidityDate.IsZero() && (s.RevokedAt.IsZero() || s.InvalidityDate.Before(s.RevokedAt)) {
		return s.InvalidityDate.UTC()
	}
	return s.RevokedAt.UTC()
}

func (v *verifier) checkRevocation(st *sigState) {
	if st.ev.signer == nil {
		st.add(RevocationCheck, CheckSkipped, "", "not checked: no signer certificate")
		return
	}
	if v.opts.Revocation == nil {
		st.rep.Revocation = &RevocationInfo{Status: RevocationUnknown, UnknownBecause: UnknownNoSource}
		if v.opts.RevocationPolicy == RevocationSoftFail {
			st.add(RevocationCheck, CheckWarning, "", "not checked: no revocation source is configured, so it is unknown whether %s was revoked (accepted: revocation policy soft-fail)", certLabel(st.ev.signer))
		} else {
			st.add(RevocationCheck, CheckIndeterminate, TryLater, "not checked: no revocation source is configured, so nobody here can say whether %s was revoked; the revocation policy requires it", certLabel(st.ev.signer))
		}
		return
	}
	type pair struct{ cert, issuer *smcrypto.Certificate }
	var pairs []pair
	if len(st.chain) > 0 {
		for i := 0; i+1 < len(st.chain); i++ {
			pairs = append(pairs, pair{st.chain[i], st.chain[i+1]})
		}
		if len(st.chain) == 1 {
			st.add(RevocationCheck, CheckPassed, "", "%s is itself a trust anchor: trusted by configuration, not checked for revocation", certLabel(st.ev.signer))
			return
		}
	} else {
		pairs = append(pairs, pair{st.ev.signer, issuerAmong(st.ev.signer, st.ev.certs)})
	}
	p := newPart()
	for i, pr := range pairs {
		status, err := v.opts.Revocation.CertificateStatus(pr.cert, pr.issuer)
		info := revocationInfo(status, err)
		if i == 0 {
			st.rep.Revocation = info
		}
		if i < len(st.rep.Chain) {
			st.rep.Chain[i].Revocation = info
		}
		role := "the signer's certificate"
		if i > 0 {
			role = "the CA certificate"
		}
		switch {
		case err != nil:
			p.note(CheckIndeterminate, TryLater, "the revocation source could not answer for %s %s (%v): its status is unknown, so the signature cannot be accepted now", role, certLabel(pr.cert), err)
		case !status.Known:
			v.noRevocationInfo(p, fmt.Sprintf("the revocation source (%s) has no information about %s %s", orUnknown(status.Source), role, certLabel(pr.cert)))
		case status.Revoked:
			v.judgeRevoked(st, p, pr.cert, status, i > 0)
		default:
			asOf := ""
			if !status.ProducedAt.IsZero() {
				asOf = " as of " + v.fmtTime(status.ProducedAt)
			}
			p.note(CheckPassed, "", "%s %s is not revoked according to %s%s", role, certLabel(pr.cert), orUnknown(status.Source), asOf)
		}
	}
	if len(st.chain) > 0 {
		p.facts = append(p.facts, fmt.Sprintf("the trust anchor %q is trusted by configuration", subjectOf(st.chain[len(st.chain)-1])))
	}
	p.addTo(st, RevocationCheck)
}

// revocationInfo is a revocation source's answer as report data.
func revocationInfo(s RevocationStatus, err error) *RevocationInfo {
	switch {
	case err != nil:
		return &RevocationInfo{Status: RevocationUnknown, Source: s.Source, UnknownBecause: UnknownSourceFailed}
	case !s.Known:
		return &RevocationInfo{Status: RevocationUnknown, Source: s.Source, UnknownBecause: UnknownNotKnown}
	case s.Revoked:
		return &RevocationInfo{Status: RevocationRevoked, Reason: s.Reason.String(), RevokedAt: s.RevokedAt.UTC(),
			InvalidityDate: s.InvalidityDate.UTC(), Source: s.Source, AsOf: s.ProducedAt.UTC()}
	}
	return &RevocationInfo{Status: RevocationGood, Source: s.Source, AsOf: s.ProducedAt.UTC()}
}

// issuerAmong finds a certificate's issuer by name among certs (for revocation without a chain).
func issuerAmong(c *smcrypto.Certificate, certs []*smcrypto.Certificate) *smcrypto.Certificate {
	for _, i := range certs {
		if i != c && bytes.Equal(i.RawSubject, c.RawIssuer) {
			return i
		}
	}
	return nil
}

// judgeRevoked decides what a revocation means for the signature: revoked before the proven time
// does not matter; revoked before the claimed signing time convicts it; in between, without a
// proof of existence, nobody can tell (REVOKED_NO_POE).
func (v *verifier) judgeRevoked(st *sigState, p *part, c *smcrypto.Certificate, s RevocationStatus, ca bool) {
	eff := effectiveRevocation(s)
	what := fmt.Sprintf("%s was revoked on %s (reason %s", certLabel(c), v.fmtTime(s.RevokedAt), reasonName(s.Reason))
	if !s.InvalidityDate.IsZero() {
		what += fmt.Sprintf(", key invalid since %s", v.fmtTime(s.InvalidityDate))
	}
	what += ", according to " + orUnknown(s.Source) + ")"
	switch {
	case !st.poe.IsZero() && st.poe.Before(eff):
		p.note(CheckPassed, "", "%s, but %s proves the signature existed on %s, before that: the revocation does not affect it", what, st.poeSrc, v.fmtTime(st.poe))
	case !st.claimed.IsZero() && st.claimed.After(eff):
		// Strictly after: both times have one-second resolution, so the same second tells
		// nothing about the order and falls through to REVOKED_NO_POE.
		p.note(CheckFailed, Revoked, "%s, and the signature claims to be made on %s, after that: it was made with a revoked certificate", what, v.fmtTime(st.claimed))
	default:
		sub := RevokedNoPOE
		if ca {
			sub = RevokedCANoPOE
		}
		claim := "the signature states no signing time"
		switch {
		case st.claimed.Equal(eff):
			claim = fmt.Sprintf("the signature claims to be made on %s, the same second, so the order cannot be told", v.fmtTime(st.claimed))
		case !st.claimed.IsZero():
			claim = fmt.Sprintf("the signature claims to be made on %s, before that", v.fmtTime(st.claimed))
		}
		p.note(CheckIndeterminate, sub, "%s; %s, but no trusted timestamp proves it existed before the revocation", what, claim)
	}
}

// ---- algorithms ----

// weakAfter is when SHA-1 signatures and RSA keys under 2048 bits stopped being acceptable
// (NIST SP 800-131A: disallowed for signature generation after 2013).
var weakAfter = time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)

func (v *verifier) checkAlgorithms(st *sigState) {
	if !st.formatOK || st.ev.signer == nil {
		st.add(AlgorithmsCheck, CheckSkipped, "", "not checked: no verified signature algorithm")
		return
	}
	var weak []string
	digest := st.sigDigest
	if digest == "" && st.ev.si != nil {
		digest = st.ev.si.DigestAlgorithm
	}
	if digest == smcrypto.OIDSHA1 {
		weak = append(weak, "the SHA-1 digest")
	}
	if st.ev.si != nil && st.ev.si.DigestAlgorithm == smcrypto.OIDSHA1 && digest != smcrypto.OIDSHA1 {
		weak = append(weak, "the SHA-1 digest of the signed attributes")
	}
	switch k := st.ev.signer.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			weak = append(weak, fmt.Sprintf("the %d-bit RSA key", k.N.BitLen()))
		}
	case *ecdsa.PublicKey:
		if !smcrypto.IsSM2PublicKey(k) && k.Curve != nil && k.Curve.Params().BitSize < 256 {
			weak = append(weak, fmt.Sprintf("the %d-bit ECDSA key", k.Curve.Params().BitSize))
		}
	}
	used := fmt.Sprintf("%s key, %s digest", keyDescription(st.ev.signer.PublicKey), shortOIDName(digest))
	switch {
	case len(weak) == 0:
		st.add(AlgorithmsCheck, CheckPassed, "", "%s: acceptable", used)
	case !st.poe.IsZero() && st.poe.Before(weakAfter):
		st.add(AlgorithmsCheck, CheckPassed, "", "%s: %s %s no longer acceptable today, but %s proves the signature existed on %s, when it still was",
			used, strings.Join(weak, " and "), isAre(len(weak)), st.poeSrc, v.fmtTime(st.poe))
	default:
		st.add(AlgorithmsCheck, CheckIndeterminate, CryptoConstraintsFailureNoPOE, "%s: %s %s not acceptable for signatures after %s (NIST SP 800-131A), and no trusted timestamp proves the signature existed before; "+
			"it could have been forged since", used, strings.Join(weak, " and "), isAre(len(weak)), weakAfter.AddDate(0, 0, -1).Format("2006"))
	}
}

// ---- conclusion ----

func (st *sigState) conclude() {
	ind, sub := TotalPassed, SubIndication("")
	for _, c := range st.checks {
		if c.Status == CheckFailed {
			ind, sub = TotalFailed, c.SubIndication
			break
		}
	}
	if ind == TotalPassed {
		for _, c := range st.checks {
			if c.Status == CheckIndeterminate {
				ind, sub = Indeterminate, c.SubIndication
				break
			}
		}
	}
	r := st.rep
	r.Indication, r.SubIndication = ind, sub
	r.Checks = st.checks
	r.Type = TypeSignature
	if st.in.docTimestamp {
		r.Type = TypeDocumentTimestamp
	}
	if !st.claimed.IsZero() {
		t := st.claimed
		r.SigningTime = &t
		r.SigningTimeSource = st.claimedSrc
	}
	if !st.poe.IsZero() {
		r.ProofOfExistence = &TimeProof{Time: st.poe, Source: st.poeSrc}
	}
	if st.ev.token != nil && ind != TotalFailed && st.sigOK && st.chain != nil && st.coverageOK {
		st.trustedTime = st.ev.token.info.GenTime
	}
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// licenceStateWords are the regulation's words for a licence's ends (Art. 29).
var licenceStateWords = map[string]string{
	"changed": "changed (变更)", "withdrawn": "withdrawn (撤回)", "revoked": "revoked (撤销)", "cancelled": "cancelled (注销)",
}

// checkLicence asks the registry, when the revocation source is one, about the licence the
// signature issued: a licence no longer in force makes the signature one not to rely on, however
// sound its mathematics.
func (v *verifier) checkLicence(st *sigState) {
	lc, ok := v.opts.Revocation.(LicenceChecker)
	slc, bySigner := v.opts.Revocation.(SignerLicenceChecker)
	if !ok && !bySigner || !st.formatOK {
		return
	}
	var digest []byte
	switch {
	case st.ev.ses != nil:
		digest = st.ev.ses.DataHash
	case st.ev.si != nil && len(st.ev.si.SignedAttrsDER) > 0:
		digest = st.ev.si.MessageDigest
	}
	if len(digest) == 0 {
		return
	}
	var lic *LicenceStatus
	var err error
	if bySigner && st.ev.signer != nil {
		lic, err = slc.LicenceStatusForSigner(digest, st.ev.signer)
	} else if ok {
		lic, err = lc.LicenceStatus(digest)
	}
	switch {
	case err != nil:
		st.add(LicenceCheck, CheckIndeterminate, TryLater, "the licence registry could not be asked: %v", err)
	case lic == nil:
		return
	case lic.State == "in_force":
		st.rep.Licence = lic
		st.add(LicenceCheck, CheckPassed, "", "the licence %s is in force (%s)", lic.ID, orUnknown(lic.Source))
	default:
		st.rep.Licence = lic
		words := licenceStateWords[lic.State]
		if words == "" {
			words = lic.State
		}
		d := fmt.Sprintf("the licence %s was %s on %s: %s (legal basis: %s)", lic.ID, words, v.fmtTime(lic.At), orUnknown(lic.Reason), orUnknown(lic.Basis))
		if lic.Replacement != "" {
			d += fmt.Sprintf("; it is replaced by %s", lic.Replacement)
		}
		st.add(LicenceCheck, CheckFailed, SigConstraintsFailure, "%s; it is not in force, whatever the seal's validity", d)
	}
}
