package sign

import (
	"errors"
	"io"
	"net/url"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// DetachedFormat is the kind of detached signature SignDetached makes.
type DetachedFormat int

const (
	// DetachedSES is a GB/T 38540 SES_Signature (an ".ses" file): TBS_Sign holds the seal, the
	// signing time, the SM3 of the file and its name, signed with SM2 by the seal's signer. The
	// signature's version is the seal's (4, or 5 for a GM/T 0031-2025 seal).
	DetachedSES DetachedFormat = iota
	// DetachedCMS is a detached CMS SignedData (a ".p7s" file), SM2 with SM3, carrying the seal
	// as a signed attribute as PDF signatures do.
	DetachedCMS
)

func (f DetachedFormat) String() string {
	if f == DetachedCMS {
		return "CMS"
	}
	return "SES_Signature"
}

// DetachedOptions controls SignDetached.
type DetachedOptions struct {
	Format DetachedFormat
	// Name names the signed file in an SES_Signature's propertyInfo (usually its base name);
	// characters outside printable ASCII are percent-encoded, as IA5String requires. Empty
	// means "file".
	Name string
	// Convention picks the CMS object identifiers for DetachedCMS.
	Convention smcrypto.CMSConvention
	// Now gives the signing time; nil means time.Now. Whole seconds.
	Now func() time.Time
	// TimeStamp, when set, returns an RFC 3161 token over the signature value: the
	// SES_Signature's timeStamp, or the CMS signer's timeStampToken.
	TimeStamp func(signatureValue []byte) ([]byte, error)
}

// DetachedResult describes a detached signature.
type DetachedResult struct {
	// Signature is the DER of the SES_Signature or the CMS SignedData.
	Signature []byte
	Format    DetachedFormat
	// Digest is the SM3 of the signed file; Size its length.
	Digest      []byte
	Size        int64
	SigningTime time.Time
	// PropertyInfo is what an SES_Signature says it signs.
	PropertyInfo string
}

// SignDetached signs the whole of what r yields with the seal, as a signature kept beside it:
// any e-material (a scanned certificate, a spreadsheet, an archive). r is read once, as a
// stream. The result is verified against the key before it is returned.
func SignDetached(r io.Reader, s Sealer, opts DetachedOptions) (*DetachedResult, error) {
	if opts.Format != DetachedSES && opts.Format != DetachedCMS {
		return nil, errorf(BadOptions, nil, "unknown detached format %d", opts.Format)
	}
	if opts.Convention != smcrypto.ConventionPKCS7 && opts.Convention != smcrypto.ConventionGMT0010 {
		return nil, errorf(BadOptions, nil, "unknown CMS convention %d", opts.Convention)
	}
	cs, err := checkSealer(s, opts.Now)
	if err != nil {
		return nil, err
	}
	h := smcrypto.NewSM3()
	n, err := io.Copy(h, r)
	if err != nil {
		return nil, errorf(IOFailed, err, "reading the file to sign")
	}
	res := &DetachedResult{Format: opts.Format, Digest: h.Sum(nil), Size: n, SigningTime: cs.now}
	switch opts.Format {
	case DetachedSES:
		res.PropertyInfo = propertyInfo(opts.Name)
		sig, err := seal.BuildSignature(seal.NewSignatureOptions{
			Seal: s.Seal, TimeInfo: cs.now, DataHash: res.Digest, PropertyInfo: res.PropertyInfo, TimeStamp: opts.TimeStamp,
		}, s.Chain[0], s.Signer)
		if err != nil {
			return nil, sesError(err)
		}
		res.Signature = sig.Raw
	case DetachedCMS:
		der, err := smcrypto.BuildDetachedSignedData(res.Digest, s.Signer, cs.chain, smcrypto.SignedDataOptions{
			Convention: opts.Convention, SigningTime: cs.now, ESeal: s.Seal, TimeStamp: opts.TimeStamp,
		})
		if err != nil {
			return nil, errorf(SignerFailed, err, "building the CMS")
		}
		if err := verifyOwnSignedData(der, cs.chain[0]); err != nil {
			return nil, errorf(Internal, err, "the CMS does not verify with the signer certificate")
		}
		res.Signature = der
	}
	return res, nil
}

// propertyInfo is the IA5String naming the file: printable ASCII kept, the rest percent-encoded.
func propertyInfo(name string) string {
	if name == "" {
		return "file"
	}
	return url.PathEscape(name)
}

// sesError maps BuildSignature's refusals: a signer the seal does not list is the seal's
// business, the rest the signer's.
func sesError(err error) *Error {
	var se *seal.Error
	if errors.As(err, &se) && se.Reason == seal.SignerNotInCertList {
		return errorf(BadSeal, err, "the signer is not in the seal's certificate list")
	}
	return errorf(SignerFailed, err, "building the SES_Signature")
}
