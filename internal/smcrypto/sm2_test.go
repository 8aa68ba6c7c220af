package smcrypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

func TestSigEncodingString(t *testing.T) {
	want := map[SigEncoding]string{EncodingUnknown: "unknown", EncodingDER: "DER", EncodingRaw: "raw r||s", EncodingDERNonMinimal: "non-strict DER", 9: "unknown"}
	for e, s := range want {
		if e.String() != s {
			t.Errorf("%d: %q", int(e), e.String())
		}
	}
}

func TestSignVerifySM2(t *testing.T) {
	k := mustKey(t)
	pub := k.Public().(*ecdsa.PublicKey)
	msg := []byte("message")
	sig, err := SignSM2(k, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	if enc, err := VerifySM2(pub, nil, msg, sig); err != nil || enc != EncodingDER {
		t.Fatalf("%v %v", enc, err)
	}
	if _, err := VerifySM2(pub, []byte(DefaultSignerID), msg, sig); err != nil {
		t.Error("explicit default ID differs from the empty one")
	}
	if _, err := VerifySM2(pub, nil, []byte("other"), sig); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("other message: %v", err)
	}
	// A signature with another signer ID verifies only with that ID.
	alice, err := SignSM2(k, []byte("alice@example.cn"), msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifySM2(pub, nil, msg, alice); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("wrong ID: %v", err)
	}
	if _, err := VerifySM2(pub, []byte("alice@example.cn"), msg, alice); err != nil {
		t.Errorf("right ID: %v", err)
	}
	// The streaming hash gives the value the signature signs.
	h, err := NewSM2MessageHash(pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(msg[:3])
	h.Write(msg[3:])
	if _, err := VerifySM2Digest(pub, h.Sum(nil), sig); err != nil {
		t.Errorf("NewSM2MessageHash digest: %v", err)
	}
	sm3h := NewSM3()
	sm3h.Write([]byte("abc"))
	if s := SM3([]byte("abc")); !bytes.Equal(sm3h.Sum(nil), s[:]) {
		t.Error("NewSM3 and SM3 differ")
	}
	// Errors.
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := SignSM2(ec, nil, msg); err == nil {
		t.Error("SignSM2 with an ECDSA key")
	}
	if _, err := SignSM2(nil, nil, msg); err == nil {
		t.Error("SignSM2 with nil")
	}
	if _, err := VerifySM2(&ec.PublicKey, nil, msg, sig); err == nil {
		t.Error("VerifySM2 with a P-256 key")
	}
	if _, err := VerifySM2(nil, nil, msg, sig); err == nil {
		t.Error("VerifySM2 with nil")
	}
	if _, err := VerifySM2Digest(&ec.PublicKey, h.Sum(nil), sig); err == nil {
		t.Error("VerifySM2Digest with a P-256 key")
	}
	if _, err := VerifySM2(pub, nil, msg, []byte{0x30, 0}); !errors.Is(err, ErrMalformedSignature) {
		t.Errorf("empty SEQUENCE: %v", err)
	}
	if !IsSM2PublicKey(pub) || IsSM2PublicKey(&ec.PublicKey) {
		t.Error("IsSM2PublicKey")
	}
}

func TestDecodeSignature(t *testing.T) {
	r := new(big.Int).SetBytes(bytes.Repeat([]byte{0x81}, 32)) // high bit set: DER needs a 00 pad
	s := big.NewInt(0x1234)
	der, err := encodeSignatureDER(r, s)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	unpadded := tlv(0x30, tlv(0x02, r.Bytes()), tlv(0x02, s.Bytes()))                           // r reads as negative
	redundant := tlv(0x30, tlv(0x02, append([]byte{0, 0}, r.Bytes()...)), tlv(0x02, s.Bytes())) // extra zero
	tests := []struct {
		name string
		in   []byte
		enc  SigEncoding
		ok   bool
	}{
		{"DER", der, EncodingDER, true},
		{"raw r||s", raw, EncodingRaw, true},
		{"DER without sign pad", unpadded, EncodingDERNonMinimal, true},
		{"DER with redundant zeros", redundant, EncodingDERNonMinimal, true},
		{"empty", nil, EncodingUnknown, false},
		{"garbage", []byte("garbage"), EncodingUnknown, false},
		{"zero r", tlv(0x30, tlv(0x02, []byte{0}), tlv(0x02, []byte{1})), EncodingUnknown, false},
		{"raw with zero half", make([]byte, 64), EncodingUnknown, false},
		{"three integers", tlv(0x30, tlv(0x02, []byte{1}), tlv(0x02, []byte{1}), tlv(0x02, []byte{1})), EncodingUnknown, false},
		{"empty integer", tlv(0x30, tlv(0x02), tlv(0x02, []byte{1})), EncodingUnknown, false},
		{"trailing data", append(append([]byte{}, der...), 0), EncodingUnknown, false},
		{"63 bytes", raw[:63], EncodingUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gr, gs, enc, err := DecodeSignature(tt.in, 32)
			if (err == nil) != tt.ok || enc != tt.enc {
				t.Fatalf("enc %v err %v", enc, err)
			}
			if !tt.ok {
				if !errors.Is(err, ErrMalformedSignature) {
					t.Errorf("error %v is not ErrMalformedSignature", err)
				}
				return
			}
			if gr.Cmp(r) != 0 || gs.Cmp(s) != 0 {
				t.Errorf("r,s = %x,%x", gr, gs)
			}
		})
	}
}

// TestVerifySM2Encodings: the same SM2 signature in the three encodings seen in the wild.
func TestVerifySM2Encodings(t *testing.T) {
	k := mustKey(t)
	pub := k.Public().(*ecdsa.PublicKey)
	msg := []byte("encodings")
	for i := 0; i < 64; i++ { // find a signature whose r has its high bit set
		sig, _ := SignSM2(k, nil, msg)
		r, s, _, _ := DecodeSignature(sig, 32)
		if r.Bit(255) == 0 {
			continue
		}
		raw := make([]byte, 64)
		r.FillBytes(raw[:32])
		s.FillBytes(raw[32:])
		for want, v := range map[SigEncoding][]byte{
			EncodingDER:           sig,
			EncodingRaw:           raw,
			EncodingDERNonMinimal: tlv(0x30, tlv(0x02, r.Bytes()), tlv(0x02, s.Bytes())),
		} {
			enc, err := VerifySM2(pub, nil, msg, v)
			if err != nil || enc != want {
				t.Errorf("%v: got %v, %v", want, enc, err)
			}
		}
		return
	}
	t.Fatal("no signature with a high r in 64 tries")
}

// TestSM2OpenSSLPlain: a plain SM2 signature we make verifies with OpenSSL (pkeyutl, distid),
// and one OpenSSL makes with distid verifies here.
func TestSM2OpenSSLPlain(t *testing.T) {
	k := mustKey(t)
	dir := t.TempDir()
	msg := []byte("plain message for openssl")
	sig, err := SignSM2(k, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := MarshalPKCS8PrivateKey(k, []byte("pw"))
	key := writeFile(t, dir, "key.pem", keyPEM)
	in := writeFile(t, dir, "msg", msg)
	sigFile := writeFile(t, dir, "sig", sig)
	out := runOpenSSL(t, nil, "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", "distid:"+DefaultSignerID,
		"-inkey", key, "-passin", "pass:pw", "-in", in, "-sigfile", sigFile)
	if !bytes.Contains(out, []byte("Signature Verified Successfully")) {
		t.Fatalf("openssl: %s", out)
	}
	runOpenSSL(t, nil, "dgst", "-sm3", "-sign", key, "-passin", "pass:pw", "-sigopt", "distid:"+DefaultSignerID, "-out", dir+"/osig", in)
	if _, err := VerifySM2(k.Public().(*ecdsa.PublicKey), nil, msg, readFile(t, dir+"/osig")); err != nil {
		t.Errorf("openssl dgst signature: %v", err)
	}
}

func FuzzDecodeSignature(f *testing.F) {
	f.Add(readTestdata(f, "ofd-10-sm2.sig"))
	sd, err := ParseSignedData(readTestdata(f, "cms/ofd-04-sign3.p7s"))
	if err == nil {
		f.Add(sd.Signers[0].Signature) // raw r||s from a real producer
	}
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01})
	f.Add([]byte{0x5f, 0x4d})
	f.Add([]byte{0x30, 0x82, 0x06})
	f.Fuzz(func(t *testing.T, sig []byte) {
		r, s, enc, err := DecodeSignature(sig, 32)
		if err != nil {
			if enc != EncodingUnknown || !errors.Is(err, ErrMalformedSignature) {
				t.Fatalf("error %v with encoding %v", err, enc)
			}
			return
		}
		if r.Sign() <= 0 || s.Sign() <= 0 || enc == EncodingUnknown {
			t.Fatalf("accepted r=%v s=%v enc=%v", r, s, enc)
		}
		if enc == EncodingDER {
			again, err := encodeSignatureDER(r, s)
			if err != nil || !bytes.Equal(again, sig) {
				t.Fatalf("strict DER %x re-encodes to %x", sig, again)
			}
		}
	})
}

// encodeSignatureDER encodes r and s as DER SEQUENCE { r, s } (the tests' oracle for
// DecodeSignature).
func encodeSignatureDER(r, s *big.Int) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.Bytes()
}
