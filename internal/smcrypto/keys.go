package smcrypto

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/pkcs"
	"github.com/emmansun/gmsm/pkcs8"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	pkcs12 "github.com/emmansun/go-pkcs12"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	// ErrWrongPassphrase means an encrypted key or PKCS#12 file could not be decrypted with the
	// passphrase given (or, indistinguishably, its ciphertext is corrupted).
	ErrWrongPassphrase = errors.New("smcrypto: wrong passphrase (or corrupted encrypted key)")
	// ErrPKCS12BER means a PKCS#12 file (typically from Java keytool or BouncyCastle, with
	// RC2-40 encryption) has BER encoding inside its MAC-protected content. go-pkcs12 reads DER
	// only, and re-encoding would break the MAC, so such a file cannot be read here; the password
	// was checked and is right. Convert it once with OpenSSL:
	//   openssl pkcs12 -legacy -in old.p12 -nodes -out tmp.pem
	//   openssl pkcs12 -export -in tmp.pem -out new.p12
	ErrPKCS12BER = errors.New("smcrypto: PKCS#12 file has BER-encoded content inside its MAC (Java/BouncyCastle style); re-export it with openssl pkcs12 -legacy")
	// ErrPassphraseRequired means the key is encrypted and no passphrase was given.
	ErrPassphraseRequired = errors.New("smcrypto: the key is encrypted and needs a passphrase")
)

// pkcs8Iterations is the PBKDF2 iteration count for keys we write: well above OpenSSL's 2048
// default, still fast enough (tens of ms) for a CLI that opens a key once.
const pkcs8Iterations = 100_000

// MarshalPKCS8PrivateKey encrypts key (an SM2, ECDSA or RSA private key) as PEM "ENCRYPTED
// PRIVATE KEY": PKCS#8 EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC),
// which OpenSSL 3 reads. An empty passphrase is an error: eseal never writes unencrypted keys.
func MarshalPKCS8PrivateKey(key crypto.Signer, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("smcrypto: refusing to write a private key without a passphrase")
	}
	switch key.(type) {
	case *sm2.PrivateKey, *ecdsa.PrivateKey, *rsa.PrivateKey:
	default:
		return nil, fmt.Errorf("smcrypto: cannot export a %T private key", key)
	}
	opts := pkcs.NewPBESEncrypter(pkcs.AES256CBC, pkcs.NewPBKDF2Opts(pkcs.SHA256, 16, pkcs8Iterations))
	der, err := pkcs8.MarshalPrivateKey(key, passphrase, opts)
	if err != nil {
		return nil, fmt.Errorf("smcrypto: encrypt private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), nil
}

// ParsePKCS8PrivateKey reads a private key from PEM or DER: PKCS#8 (encrypted with PBES1/PBES2,
// or not), and also SEC 1 "EC PRIVATE KEY" and PKCS#1 "RSA PRIVATE KEY". SM2 keys come back as
// emmansun *sm2.PrivateKey (a crypto.Signer signing SM2 with Z), others as *ecdsa/*rsa keys.
// A passphrase is ignored for an unencrypted key; a wrong one gives ErrWrongPassphrase.
func ParsePKCS8PrivateKey(data, passphrase []byte) (key crypto.Signer, err error) {
	defer recoverAsError(&err)
	der := data
	if block, _ := pem.Decode(data); block != nil {
		der = block.Bytes
		switch block.Type {
		case "EC PRIVATE KEY":
			return asSigner(smx509.ParseECPrivateKey(der))
		case "RSA PRIVATE KEY":
			return asSigner(smx509.ParsePKCS1PrivateKey(der))
		case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		default:
			return nil, fmt.Errorf("smcrypto: PEM block %q is not a private key", block.Type)
		}
	}
	if !isEncryptedPrivateKeyInfo(der) {
		if k, err := smx509.ParsePKCS8PrivateKey(der); err == nil {
			return asSigner(k, nil)
		}
		if k, err := smx509.ParseECPrivateKey(der); err == nil {
			return asSigner(k, nil)
		}
		if k, err := smx509.ParsePKCS1PrivateKey(der); err == nil {
			return asSigner(k, nil)
		}
		return nil, errors.New("smcrypto: not a PKCS#8, SEC 1 or PKCS#1 private key")
	}
	if len(passphrase) == 0 {
		return nil, ErrPassphraseRequired
	}
	k, _, err := pkcs8.ParsePrivateKey(der, passphrase)
	switch {
	case err == nil:
		return asSigner(k, nil)
	case errors.Is(err, pkcs.ErrPBEDecryption):
		return nil, ErrWrongPassphrase
	case errors.Is(err, pkcs8.ErrUnsupportedPBES):
		return nil, fmt.Errorf("%w: key encryption scheme", ErrUnsupportedAlgorithm)
	}
	// The padding happened to check out but the plaintext is not a key: with overwhelming
	// likelihood a wrong passphrase.
	if isDecryptionGarbage(err) {
		return nil, fmt.Errorf("%w (%v)", ErrWrongPassphrase, err)
	}
	return nil, fmt.Errorf("smcrypto: encrypted private key: %w", err)
}

// isDecryptionGarbage reports whether err came from parsing the decrypted bytes (rather than
// from the encryption parameters).
func isDecryptionGarbage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "x509:") || strings.HasPrefix(msg, "asn1:")
}

// isEncryptedPrivateKeyInfo tells EncryptedPrivateKeyInfo (SEQUENCE { AlgorithmIdentifier, OCTET
// STRING }) from PrivateKeyInfo (SEQUENCE { INTEGER, ... }).
func isEncryptedPrivateKeyInfo(der []byte) bool {
	input := cryptobyte.String(der)
	var inner cryptobyte.String
	return input.ReadASN1(&inner, cbasn1.SEQUENCE) && inner.PeekASN1Tag(cbasn1.SEQUENCE)
}

func asSigner(k any, err error) (crypto.Signer, error) {
	if err != nil {
		return nil, fmt.Errorf("smcrypto: private key: %w", err)
	}
	switch k := k.(type) {
	case *sm2.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		if k.Curve == sm2.P256() {
			return new(sm2.PrivateKey).FromECPrivateKey(k)
		}
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	default:
		return nil, fmt.Errorf("%w: %T private key", ErrUnsupportedAlgorithm, k)
	}
}

// ParsePKCS12 reads a PKCS#12 (.p12/.pfx) file: the private key, its certificate (the one whose
// public key matches the key) and the other certificates. BER input (indefinite lengths, as
// Java keytool and BouncyCastle write) is converted to DER first; legacy RC2-40/3DES and PBES2
// encryption are supported by github.com/emmansun/go-pkcs12.
func ParsePKCS12(data []byte, password string) (key crypto.Signer, cert *Certificate, others []*Certificate, err error) {
	defer recoverAsError(&err)
	der, rest, _, cerr := berToDER(data)
	if cerr != nil {
		return nil, nil, nil, fmt.Errorf("smcrypto: PKCS#12: %w", cerr)
	}
	if len(rest) != 0 {
		return nil, nil, nil, fmt.Errorf("smcrypto: PKCS#12: %d bytes after the PFX", len(rest))
	}
	k, leaf, cas, err := pkcs12.DecodeChain(der, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, nil, nil, ErrWrongPassphrase
		}
		// go-pkcs12 checks the MAC before it decodes the authenticated safe, so a BER error
		// here means the password was right but the inner (MAC-covered) content is BER.
		if strings.Contains(err.Error(), "not DER") || strings.Contains(err.Error(), "indefinite length") {
			return nil, nil, nil, fmt.Errorf("%w (%v)", ErrPKCS12BER, err)
		}
		return nil, nil, nil, fmt.Errorf("smcrypto: PKCS#12: %w", err)
	}
	signer, err := asSigner(k, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	all := append([]*Certificate{leaf}, cas...)
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, _ := signer.Public().(equaler)
	for i, c := range all {
		if pub != nil && pub.Equal(c.PublicKey) {
			cert = c
			others = append(append(others, all[:i]...), all[i+1:]...)
			return signer, cert, others, nil
		}
	}
	return nil, nil, nil, errors.New("smcrypto: PKCS#12: no certificate matches the private key")
}
