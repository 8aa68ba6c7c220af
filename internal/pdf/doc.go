// Package pdf reads what signature verification needs from a PDF: its
// revisions, its signature fields and dictionaries, the byte ranges each
// signature covers, and what later incremental updates changed.
//
// It does no cryptography. The verifier (package verify) opens a file,
// asks each signature for its ByteRange verdict, hashes the ranges it is
// given with the digest the CMS names, verifies the CMS, and judges the
// changes made after signing against the signature's DocMDP permissions:
//
//	doc, err := pdf.Open(f, size) // *pdf.FormatError for unusable input
//	for _, s := range doc.Signatures {
//		check := doc.CheckByteRange(s) // Coverage, GapIsContents, Problems, Ranges
//		changes, err := doc.ChangesAfter(s)
//		...
//	}
//
// The reading follows the structure a conforming reader uses: startxref,
// the /Prev chain of cross-reference tables and streams (hybrid and
// linearized files included), object streams, and the form fields of the
// last revision. Each revision ends at its %%EOF; a signature covers the
// entire file, an entire earlier revision, or something unclear. Changes
// after a signed revision are classified per object by walking the later
// revision's object graph (as pyHanko and EU DSS do): new signatures and
// timestamps, validation data (/DSS), metadata, form filling, annotations,
// or anything else. An object reached both as a signature appearance and
// as page content counts as page content, which defeats appearance-override
// attacks. Signature dictionaries no field reaches (found by scanning the
// file and object streams for /ByteRange) are reported, not ignored.
//
// The file is read through an io.ReaderAt in windows (16 KiB for objects,
// 256 KiB, recycled, for passes over the whole file) and never held in
// memory, so a 100 MB PDF costs well under a megabyte of allocation. A file
// that fits one 256 KiB buffer is read by Open with a single call and parsed
// in place, which saves a read and a copy per object. Each
// object is parsed once per Document (the large /Contents strings included)
// and each ByteRange verdict computed once. Hostile input is bounded by
// limits on nesting, sizes and total work, and gives an error, never a panic.
//
// Memory is bounded by design, whatever the input: the windows above, at most 8 MiB of
// parsed objects in the cache (plus the one being parsed), decoded streams of at most 16 MiB
// each, one at a time, and the signatures' /Contents: at most MaxContents (16 MiB) for one,
// MaxContentsTotal (64 MiB) for all of them together. A string over 16 MiB is skipped, not
// kept, so the object around it stays readable and the signature says which limit its
// /Contents is over (Signature.ContentsNotRead); an object nested deeper than 100 levels, or
// a catalog that cannot be read, is an error that says so.
//
// A file cut short (it ends inside an incremental update: an object never ended, a
// cross-reference section or trailer without %%EOF, a signature dictionary whose update never
// finished, a signature that signs past the end) is Damaged: reading the earlier revision
// instead would silently drop what the lost update added, typically a signature.
//
// The package also writes what a signature adds: Document.AppendApprovalSignature prepares
// the incremental update (update.go), its objects written by a serializer of the same object
// model (serialize.go) so that what it copies reads back equal.
//
// Revisions are numbered from 0 in the API (Revision.Index,
// Signature.Revision, Change.Revision) and from 1 in all text meant for
// people, as the verifier's reports number them.
package pdf
