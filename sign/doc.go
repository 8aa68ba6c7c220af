// Package sign applies an eseal approval signature to a PDF: a visible widget showing the
// seal's picture, and a detached CMS SignedData (SM2 with SM3) that carries the GB/T 38540
// seal as a signed attribute, so the signature covers the seal as well as the document. It
// also seals OFD documents (SignOFD: a GB/T 38540 seal signature laid out as GB/T 33190 §18
// says, every existing member copied as stored), and signs any file with a detached signature
// (SignDetached: an SES_Signature or a CMS).
//
// It is a library with a public API in public types only: the key is a crypto.Signer (a
// hardware key, or certstore's for an esID), the seal its DER, the chain the certificates' DER;
// the document comes in as a file or an io.ReadSeeker and goes out as the same bytes followed
// by an incremental update, so earlier signatures stay valid. verify checks what this package
// writes.
//
//	res, err := sign.SignPDFFile("licence.pdf", "licence-sealed.pdf",
//		sign.Sealer{Signer: key, Seal: sealDER, Chain: [][]byte{certDER, rootDER}},
//		sign.PDFOptions{Reason: "登记核准"})
//
// # What is written
//
// internal/pdf reads the document and writes the update (pdf.Document.AppendApprovalSignature):
// the signature dictionary, the merged field and widget, its appearance drawing the seal
// picture (converted once per seal and placement, and cached), the page with only /Annots
// extended, the form with the new field and /SigFlags 3, and a cross-reference section of the
// kind the document's last one is (a table, or a stream), with /Root, /Info and /ID carried
// over byte for byte. Nothing else is rewritten: form fields, their values and appearances,
// and earlier signatures are kept, and every earlier signature's later-change check sees only
// a new signature. Text (the seal's name, the reason, the location) is written as UTF-16 hex
// strings, names #-escaped, so Chinese never breaks the syntax. /Contents is sized for the
// CMS with its certificates, the seal, and room for a later signature timestamp.
//
// The document is then hashed with SM3 as a stream (with the update's bytes outside
// /Contents), the SignedData built (internal/smcrypto; with PKCS#7 OIDs it names SM2-with-SM3
// 1.2.156.10197.1.501, which BouncyCastle and the signatures in the wild use; with GM/T 0010
// OIDs sm2-1 1.2.156.10197.1.301.1, as GM/T 0010 prescribes), checked to verify with the
// signer certificate, and written into /Contents. The sealed document is read back before
// anything is written: the new field must be in the form, its ByteRange the whole file minus
// its /Contents, and what it added to the earlier revisions a signature only.
//
// # What is refused
//
// Errors are *Error values with a Reason, in the manner of crypto/x509: a document that is
// not a readable PDF, is damaged, or ends in junk after %%EOF (NotPDF, UnsupportedPDF); an
// encrypted one (Encrypted); a certified document whose DocMDP permissions allow no change
// (P=1), or a signed field that locks it (Certified, naming the certification: P=2 and P=3
// allow an approval signature); a page or rectangle that does not exist (PageOutOfRange,
// BadRect); a key, chain or seal that cannot sign (NotSM2Signer, BadChain, BadSeal,
// NotValidAtSigningTime); a signer that fails or signs with another key (SignerFailed). Then
// nothing is written, and SignPDFFile leaves no file.
//
// # Memory
//
// The document is never held in memory: it is read in windows for its structure, as a stream
// to be hashed, and once more to be copied (SignPDFFile copies it as it hashes it); the update
// itself, a few tens of kilobytes with the picture, is built in memory.
package sign
