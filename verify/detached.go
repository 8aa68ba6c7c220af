package verify

import (
	"context"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
)

// MaxDetachedSignatureSize bounds a detached signature file: a CMS within smcrypto's limits, or
// an SES_Signature with its seal and picture.
const MaxDetachedSignatureSize = 16 << 20

// The detached format: a signature file beside the signed file, which it signs whole.

// VerifyDetached verifies a detached signature over the whole of the file in r (size bytes):
// sig is an SES_Signature (GB/T 38540 / GM/T 0031, an ".ses" file, whose dataHash is the SM3
// of the file) or a CMS SignedData (a ".p7s" file, DER or PEM, made by any system: SM2 in both
// conventions, RSA, ECDSA). The checks and the report are a PDF signature's, without the PDF's
// own (byte range, later changes): the signature covers the entire file.
//
// The file is read in small windows, never whole. The error is an *InputError when sig is
// neither kind of signature or the file cannot be read, or ctx's error.
func VerifyDetached(ctx context.Context, r io.ReaderAt, size int64, sig []byte, opts Options) (*Report, error) {
	if r == nil || size < 0 {
		return nil, &InputError{Reason: InputInvalidArgument, Detail: fmt.Sprintf("no file to verify (size %d)", size)}
	}
	if len(sig) > MaxDetachedSignatureSize {
		return nil, &InputError{Reason: InputNotSignature, Detail: fmt.Sprintf("%d bytes is more than a signature can be (the limit is %d)", len(sig), MaxDetachedSignatureSize)}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(sig); block != nil {
		sig = block.Bytes
	}
	in := &signatureInput{
		report: SignatureReport{Index: 1, Coverage: "entire_file"},
		raw:    sig,
		hooks:  detachedHooks{size: size},
	}
	switch detachedKind(sig) {
	case containerCMS:
		in.container, in.formatName, in.where = containerCMS, "detached CMS", "the signature file"
		in.profile = cmsProfile{name: "detached CMS"}
	case containerSES:
		in.container, in.formatName, in.where = containerSES, "detached SES_Signature", "the signature file"
	default:
		return nil, &InputError{Reason: InputNotSignature, Detail: "the signature file is neither a CMS SignedData (.p7s) nor an SES_Signature (.ses)"}
	}
	trap := &errorTrap{r: r}
	v := newVerifier(ctx, trap, size, opts, nil)
	sigs, err := v.verifyAll([]*signatureInput{in})
	if err == nil {
		err = trap.first()
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, readError(err)
	}
	return &Report{
		Document: DocumentInfo{
			Name:   opts.Name,
			Format: "detached",
			Size:   size,
			SHA256: hex.EncodeToString(v.hashes.docSum),
		},
		ValidationTime: v.now,
		Signatures:     sigs,
		Indication:     overallIndication(sigs),
	}, nil
}

// detachedKind tells the two signature files apart by their first bytes: a CMS ContentInfo
// starts SEQUENCE { OBJECT IDENTIFIER signedData, ... }, an SES_Signature SEQUENCE { SEQUENCE
// TBS_Sign, ... } (both versions).
func detachedKind(sig []byte) containerKind {
	if len(sig) < 4 || sig[0] != 0x30 {
		return 0
	}
	i := 2
	if sig[1]&0x80 != 0 {
		i += int(sig[1] & 0x7f)
	}
	if i >= len(sig) {
		return 0
	}
	switch sig[i] {
	case 0x06:
		return containerCMS
	case 0x30:
		return containerSES
	}
	return 0
}

// detachedHooks: a detached signature signs the whole file, and nothing can be added to it.
type detachedHooks struct{ size int64 }

func (h detachedHooks) signedBytes(v *verifier, st *sigState) [][2]int64 {
	st.coverageOK = true
	return [][2]int64{{0, h.size}}
}

func (detachedHooks) laterChanges(*verifier, *sigState) {}
