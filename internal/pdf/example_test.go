package pdf_test

import (
	"fmt"
	"log"
	"os"

	"github.com/eseal/eseal/internal/pdf"
)

// Two seals, each in its own incremental update: the first seal covers its
// revision, and what came after it is another signature.
func ExampleOpen() {
	f, err := os.Open("testdata/pdf-12.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	doc, err := pdf.Open(f, st.Size())
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range doc.Signatures {
		check := doc.CheckByteRange(s)
		fmt.Printf("%s (%s, revision %d): %v, ok=%v, hash %v\n", s.FieldName, s.SubFilter, s.Revision, check.Coverage, check.OK(), check.Ranges)
		changes, err := doc.ChangesAfter(s)
		if err != nil {
			log.Fatal(err)
		}
		for _, c := range changes {
			fmt.Printf("  then revision %d: %v\n", c.Revision, c.Kind)
		}
	}
	// Output:
	// Signature 1 (adbe.pkcs7.detached, revision 1): entire revision, ok=true, hash [[0 5408] [7756 45127]]
	//   then revision 2: signature
	// Signature 2 (adbe.pkcs7.detached, revision 2): entire file, ok=true, hash [[0 45328] [47676 85074]]
}
