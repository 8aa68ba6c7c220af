package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// TypeSeal is the Type of the one entry of a VerifySeal report: a seal judged on its own.
const TypeSeal = "seal"

// MaxSealSize bounds the seal VerifySeal reads: real seals, pictures included, are tens of
// kilobytes.
const MaxSealSize = 4 << 20

// VerifySeal verifies a seal on its own: an SESeal of GM/T 0031-2014 (version 1), GB/T
// 38540-2020 (version 4) or GM/T 0031-2025 (version 5), such as an ".esl" file. The checks are
// those every signature's seal gets (SealCheck): the maker's signature under the rule of the
// seal's version, the maker's certificate chained to a trust anchor, valid when the seal was
// made and not revoked, and the seal's validity period at the validation time
// (Options.CurrentTime). When signerCert (a DER certificate) is given, its place in the seal's
// certificate list is checked too. Each deviation from the standard that was tolerated is a
// warning in the check.
//
// The report has the shape of VerifyPDF's, with one entry of Type TypeSeal, so its indication,
// exit codes and words are those of a signature's. The error is an *InputError when der is not
// a seal at all or signerCert not a certificate, or ctx's error.
func VerifySeal(ctx context.Context, der, signerCert []byte, opts Options) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(der) > MaxSealSize {
		return nil, &InputError{Reason: InputNotSeal, Detail: fmt.Sprintf("%d bytes is more than a seal can be (the limit is %d)", len(der), MaxSealSize)}
	}
	s, err := seal.ParseSeal(der)
	if err != nil {
		return nil, &InputError{Reason: InputNotSeal, Detail: err.Error(), Err: err}
	}
	v := newVerifier(ctx, nil, int64(len(der)), opts, nil)
	st := &sigState{
		in:        &signatureInput{formatName: "SESeal"},
		rep:       &SignatureReport{Index: 1, Format: fmt.Sprintf("SESeal version %d (%s)", s.Version, sealStandard(s.Version))},
		formatOK:  true,
		seal:      v.sealTask(der),
		claimed:   v.now,
		sealAlone: true,
	}
	st.add(FormatCheck, CheckPassed, "", "the seal reads as a %s seal (version %d), vendor %q", sealStandard(s.Version), s.Version, s.Header.VendorID)
	if signerCert != nil {
		cert, err := smcrypto.ParseCertificate(signerCert)
		if err != nil {
			return nil, &InputError{Reason: InputInvalidArgument, Detail: fmt.Sprintf("the signer certificate to check against the seal cannot be read: %v", err), Err: err}
		}
		st.ev.signer = cert
		st.rep.Signer = partyOf(cert)
	}
	v.checkSeal(st)
	st.conclude()
	st.rep.Type = TypeSeal
	st.rep.SigningTime, st.rep.SigningTimeSource = nil, ""
	sum := sha256.Sum256(der)
	sigs := []SignatureReport{*st.rep}
	return &Report{
		Indication:     overallIndication(sigs),
		Document:       DocumentInfo{Name: opts.Name, Format: "SESeal", Size: int64(len(der)), SHA256: hex.EncodeToString(sum[:])},
		Signatures:     sigs,
		ValidationTime: v.now,
	}, nil
}

func sealStandard(version int) string {
	switch version {
	case 1:
		return "GM/T 0031-2014"
	case 5:
		return "GM/T 0031-2025"
	}
	return "GB/T 38540-2020"
}
