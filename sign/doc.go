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
// and appearance, page and catalog updates, cross-reference section) with a throw-away ECDSA
// signature, because it cannot make SM2 signatures. This package then, before anything is
// hashed, overwrites in place what pdfsign cannot write correctly (text strings as UTF-16
// hex strings, the digest method name, the trailer), hashes the ByteRange with SM3 as a
// stream, builds the SM2 SignedData through internal/smcrypto, and writes it into the room it
// had reserved in /Contents. Every step is checked: pdfsign's output is located and
// validated, the original bytes must come through unchanged, the result is read back, and the
// signature is verified before it is written; anything unexpected is an error and no output.
//
// pdfsign's known defects are avoided or refused: its placeholder search (first run of '0's in
// the file, which can be an older signature's padding) by reserving more room than the
// longest such run; unescaped non-ASCII text by hex strings; a wrong trailer /Size by
// rewriting the trailer; page and catalog values its serialiser would corrupt, non-signature
// form fields it would drop, and hostile cross-reference numbers or page-tree cycles that
// would exhaust digitorus/pdf, by refusing the document with an *Error.
//
// Errors are *Error values with a Reason, in the manner of crypto/x509.
package sign
