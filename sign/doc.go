// Package sign applies an eseal approval signature to a PDF: a visible widget showing the
// seal's picture, and a detached CMS SignedData (SM2 with SM3, PKCS#7 or GM/T 0010 object
// identifiers) that carries the GB/T 38540 seal as a signed attribute, so the signature covers
// the seal as well as the document.
//
// It is a library: the key, the seal and the certificate chain come in a Sealer (certstore
// provides them for an esID; a hardware key is any crypto.Signer), the document comes in as a
// file or an io.ReadSeeker, and the sealed document goes out as an incremental update, so
// earlier signatures stay valid. verify checks what this package writes.
//
//	res, err := sign.SignPDFFile("licence.pdf", "licence-sealed.pdf",
//		sign.Sealer{Signer: key, Seal: s, Chain: []*smcrypto.Certificate{cert, root}},
//		sign.PDFOptions{Reason: "登记核准"})
//
// How: github.com/digitorus/pdfsign writes the PDF structures (signature dictionary, widget
// and appearance, page and catalog updates) with a throw-away ECDSA signature, because it
// cannot make SM2 signatures. It is given an input that reads as empty, so it writes the
// update alone instead of copying (and hashing) the whole document in memory, and a one-pixel
// placeholder picture, so it does not re-encode the seal picture for every document. This
// package then writes the update behind the document: pdfsign's objects, the seal picture as
// an image XObject (converted once per seal and placement, and cached), and a cross-reference
// section and trailer of its own. Before anything is hashed, it overwrites in place what
// pdfsign cannot write correctly (text strings as UTF-16 hex strings, the digest method
// name), hashes the ByteRange with SM3 as a stream, builds the SM2 SignedData through
// internal/smcrypto, and writes it into the room it had reserved in /Contents. Every step is
// checked: pdfsign's output is parsed through its own cross-reference data and validated, the
// document is read as a stream twice (hashed, then copied) and must not change in between,
// the result is read back, and the signature is verified before it is written; anything
// unexpected is an error and no output.
//
// pdfsign's known defects are avoided or refused: its placeholder searches (first run of '0's,
// first ByteRange placeholder) only see its own update, and the room reserved is longer than
// any run of '0's in the document all the same; unescaped non-ASCII text by hex strings; a
// wrong trailer /Size, and xref streams without /Info, by writing the cross-reference section
// and trailer here; page and catalog values its serialiser would corrupt, non-signature form
// fields it would drop, and hostile cross-reference numbers or page-tree cycles that would
// exhaust digitorus/pdf, by refusing the document with an *Error.
//
// Errors are *Error values with a Reason, in the manner of crypto/x509.
package sign
