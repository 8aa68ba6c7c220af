package smcrypto

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// DefaultSignerID is the SM2 signer ID (user ID) of GM/T 0009, used by both Go libraries and, with
// -sigopt/-vfyopt distid:1234567812345678, by OpenSSL 3.
const DefaultSignerID = "1234567812345678"

// SigEncoding says how an SM2 or ECDSA signature value was encoded.
type SigEncoding int

const (
	// EncodingUnknown: the value could not be decoded at all.
	EncodingUnknown SigEncoding = iota
	// EncodingDER: DER SEQUENCE { r INTEGER, s INTEGER }, as the standards require.
	EncodingDER
	// EncodingRaw: 64 bytes r‖s, as many hardware devices produce.
	EncodingRaw
	// EncodingDERNonMinimal: a SEQUENCE of two INTEGERs that is not strict DER (an integer without
	// its leading zero byte, so it reads as negative, or with redundant leading bytes).
	EncodingDERNonMinimal
)

func (e SigEncoding) String() string {
	switch e {
	case EncodingDER:
		return "DER"
	case EncodingRaw:
		return "raw r||s"
	case EncodingDERNonMinimal:
		return "non-strict DER"
	default:
		return "unknown"
	}
}

// GenerateKey makes a new SM2 private key. The result is a crypto.Signer whose Sign, given
// SM2SignerOpts(nil) (or any opts that is not a crypto.Hash), computes an SM2 signature over the
// message with the default signer ID.
func GenerateKey() (crypto.Signer, error) {
	return sm2.GenerateKey(rand.Reader)
}

// IsSM2PublicKey reports whether pub is a public key on the SM2 curve.
func IsSM2PublicKey(pub crypto.PublicKey) bool {
	return sm2.IsSM2PublicKey(pub)
}

// SM2SignerOpts returns the signer options that make an SM2 crypto.Signer hash msg itself with
// Z(uid) as GB/T 32918.2 requires. An empty uid means DefaultSignerID.
func SM2SignerOpts(uid []byte) crypto.SignerOpts {
	return sm2.NewSM2SignerOption(true, uid)
}

// SignSM2 signs msg with signer (an SM2 key) and the given signer ID (empty: DefaultSignerID).
// The result is DER encoded.
func SignSM2(signer crypto.Signer, uid, msg []byte) ([]byte, error) {
	if signer == nil || !IsSM2PublicKey(signer.Public()) {
		return nil, errors.New("smcrypto: signer is not an SM2 key")
	}
	return signer.Sign(rand.Reader, msg, SM2SignerOpts(uid))
}

// VerifySM2 checks an SM2 signature of msg under pub with signer ID uid (empty: DefaultSignerID).
// It accepts DER, raw 64-byte r‖s and non-strict DER values and reports which it saw; the
// encoding is reported even when the signature does not verify.
func VerifySM2(pub *ecdsa.PublicKey, uid, msg, sig []byte) (SigEncoding, error) {
	if pub == nil || !IsSM2PublicKey(pub) {
		return EncodingUnknown, errors.New("smcrypto: public key is not an SM2 key")
	}
	if len(uid) == 0 {
		uid = []byte(DefaultSignerID)
	}
	digest, err := sm2.CalculateSM2Hash(pub, msg, uid)
	if err != nil {
		return EncodingUnknown, fmt.Errorf("smcrypto: SM2 hash: %w", err)
	}
	return VerifySM2Digest(pub, digest, sig)
}

// VerifySM2Digest checks an SM2 signature over e = SM3(Z‖M), already computed (for example by
// NewSM2MessageHash over a stream).
func VerifySM2Digest(pub *ecdsa.PublicKey, digest, sig []byte) (enc SigEncoding, err error) {
	defer recoverAsError(&err)
	if pub == nil || !IsSM2PublicKey(pub) {
		return EncodingUnknown, errors.New("smcrypto: public key is not an SM2 key")
	}
	r, s, enc, err := DecodeSignature(sig, 32)
	if err != nil {
		return enc, err
	}
	if !sm2.Verify(pub, digest, r, s) {
		return enc, ErrSignatureMismatch
	}
	return enc, nil
}

// ErrSignatureMismatch means the signature value is well formed but does not verify.
var ErrSignatureMismatch = errors.New("signature value does not match the signed data and public key")

// DecodeSignature reads an (EC)DSA-style signature value: DER, non-strict DER, or, when exactly
// 2*size bytes and not a valid SEQUENCE, raw r‖s with size-byte halves.
func DecodeSignature(sig []byte, size int) (r, s *big.Int, enc SigEncoding, err error) {
	input := cryptobyte.String(sig)
	var inner cryptobyte.String
	var rb, sb []byte
	if input.ReadASN1(&inner, cbasn1.SEQUENCE) && input.Empty() &&
		inner.ReadASN1Integer(&rb) && inner.ReadASN1Integer(&sb) && inner.Empty() {
		r, s = new(big.Int).SetBytes(rb), new(big.Int).SetBytes(sb)
		if r.Sign() > 0 && s.Sign() > 0 {
			return r, s, EncodingDER, nil
		}
	}
	if rb, sb, ok := readLooseIntegerPair(sig); ok {
		r, s = new(big.Int).SetBytes(rb), new(big.Int).SetBytes(sb)
		if r.Sign() > 0 && s.Sign() > 0 {
			return r, s, EncodingDERNonMinimal, nil
		}
	}
	if len(sig) == 2*size {
		r, s = new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if r.Sign() > 0 && s.Sign() > 0 {
			return r, s, EncodingRaw, nil
		}
	}
	return nil, nil, EncodingUnknown, fmt.Errorf("%w: neither DER nor raw r||s", ErrMalformedSignature)
}

// readLooseIntegerPair reads SEQUENCE { INTEGER, INTEGER } taking each integer's content bytes as
// unsigned magnitude, as producers that forget the leading zero byte intend.
func readLooseIntegerPair(sig []byte) (r, s []byte, ok bool) {
	input := cryptobyte.String(sig)
	var inner cryptobyte.String
	if !input.ReadASN1(&inner, cbasn1.SEQUENCE) || !input.Empty() {
		return nil, nil, false
	}
	if !inner.ReadASN1((*cryptobyte.String)(&r), cbasn1.INTEGER) ||
		!inner.ReadASN1((*cryptobyte.String)(&s), cbasn1.INTEGER) || !inner.Empty() {
		return nil, nil, false
	}
	if len(r) == 0 || len(s) == 0 {
		return nil, nil, false
	}
	return r, s, true
}

// NewSM3 returns a streaming SM3 hash.
func NewSM3() hash.Hash { return sm3.New() }

// SM3 returns the SM3 digest of data.
func SM3(data []byte) [32]byte { return sm3.Sum(data) }

// NewSM2MessageHash returns a hash that, fed the message, yields e = SM3(Z(uid, pub)‖M), the value
// an SM2 signature signs. It lets a large message be verified without holding it in memory.
func NewSM2MessageHash(pub *ecdsa.PublicKey, uid []byte) (hash.Hash, error) {
	if len(uid) == 0 {
		uid = []byte(DefaultSignerID)
	}
	return sm2.NewHashWithUserID(pub, uid)
}

// recoverAsError turns a panic in a library parser into an error.
func recoverAsError(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("smcrypto: malformed input (parser panicked: %v)", r)
	}
}

// containOwnPanics is cleared by fuzz tests so that a panic in this package's own parsing code
// (which recoverOwn would otherwise turn into an error) fails the fuzz run.
var containOwnPanics = true

// recoverOwn is recoverAsError for code of this package, switchable for fuzzing.
func recoverOwn(err *error) {
	if !containOwnPanics {
		return
	}
	if r := recover(); r != nil {
		*err = fmt.Errorf("smcrypto: malformed input (parser panicked: %v)", r)
	}
}
