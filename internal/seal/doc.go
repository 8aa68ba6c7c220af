// Package seal reads, checks and makes Chinese electronic seals: the SESeal and SES_Signature
// structures of GM/T 0031-2014 (version 1), GB/T 38540-2020 (version 4) and GM/T 0031-2025
// (version 5), and the seal's picture.
//
// A seal (SESeal, often a ".esl" file) is made by a seal maker: it names the seal (esID, name,
// type), lists the certificates of the signers allowed to use it, carries its picture and
// validity period, and is signed by the maker. In eseal, BuildSeal makes new version 4 seals,
// `sign` embeds a seal in each PDF signature, and `verify` reads it back with ParseSeal.
// GeneratePicture draws a seal image; ValidatePicture checks one supplied by a user.
//
//	s, err := seal.ParseSeal(der)          // any version; never panics on bad input
//	enc, err := s.VerifyMakerSignature()   // the maker's SM2 signature over what it signed
//	err = s.ValidAt(signingTime)           // validStart..validEnd
//	ok, err := s.AllowsSigner(signerDER)   // certList: exact DER or digest match
//
// An SES_Signature (for example an OFD document's SignedValue.dat) is parsed with
// ParseSignature, which parses the embedded seal too; VerifySignatureValue checks the signer's
// signature over TBS_Sign and VerifySignerAllowed the signer's place in the seal's certList.
// BuildSignature makes one (version 4, or 5 with a version 5 seal) for a signer the seal allows.
//
// Real files deviate from the standards and from DER. The parsers accept the deviations seen in
// real seals (non-minimal lengths and integers, BIT STRINGs with unused bits, times without Z,
// NUL-padded or double-encoded names, certListType outside 1..2, ...), list each one in the
// result's Quirks, and always keep the signed bytes exactly as received: nothing is re-encoded
// before a signature check. Certificate chains, trust, revocation and the data hash are the
// verifier's business, not this package's: it checks only each structure's own mathematics and
// rules.
//
// All cryptography goes through internal/smcrypto (SM2 with the standard signer ID
// "1234567812345678", SM3).
package seal
