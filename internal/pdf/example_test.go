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
		// Revision indexes count from 0; people count revisions from 1.
		fmt.Printf("%s (%s, revision %d): %v, ok=%v, hash %v\n", s.FieldName, s.SubFilter, s.Revision+1, check.Coverage, check.OK(), check.Ranges)
		changes, err := doc.ChangesAfter(s)
		if err != nil {
			log.Fatal(err)
		}
		for _, c := range changes {
			fmt.Printf("  then revision %d: %v\n", c.Revision+1, c.Kind)
		}
	}
	// Output:
	// Signature 1 (adbe.pkcs7.detached, revision 2): entire revision, ok=true, hash [[0 5408] [7756 45127]]
	//   then revision 3: signature
	// Signature 2 (adbe.pkcs7.detached, revision 3): entire file, ok=true, hash [[0 45328] [47676 85074]]
}
