package sign

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestCheckXrefBoundsEntries: the guard reads past the entries of a subsection, whatever
// their layout (standard 20-byte lines, 19-byte lines, comments, stray white space), and
// still finds a later subsection claiming absurd object numbers.
func TestCheckXrefBoundsEntries(t *testing.T) {
	layouts := map[string]func(i int) string{
		"standard":             func(i int) string { return fmt.Sprintf("%010d 00000 n\r\n", 9+i) },
		"standard, space+LF":   func(i int) string { return fmt.Sprintf("%010d 00000 n \n", 9+i) },
		"19-byte lines":        func(i int) string { return fmt.Sprintf("%010d 00000 n\n", 9+i) },
		"comments between":     func(i int) string { return fmt.Sprintf("%% entry %d\n%010d 00000 n\r\n", i, 9+i) },
		"free and extra space": func(i int) string { return fmt.Sprintf("  %010d 65535 f\r\n", i) },
		"short numbers":        func(i int) string { return fmt.Sprintf("%d 0 n\n", 9+i) },
	}
	for name, entry := range layouts {
		for _, hostile := range []bool{false, true} {
			var b strings.Builder
			b.WriteString("%PDF-1.7\n")
			xref := b.Len()
			b.WriteString("xref\n0 3\n")
			for i := range 3 {
				b.WriteString(entry(i))
			}
			if hostile {
				b.WriteString("90000000 2\n")
				for i := range 2 {
					b.WriteString(entry(i))
				}
			}
			fmt.Fprintf(&b, "trailer\n<< /Size 3 >>\nstartxref\n%d\n%%%%EOF\n", xref)
			doc := b.String()
			err := checkXrefBounds(strings.NewReader(doc), int64(len(doc)), readTail(strings.NewReader(doc), int64(len(doc))))
			var e *Error
			switch {
			case !hostile && err != nil:
				t.Errorf("%s: %v", name, err)
			case hostile && (!errors.As(err, &e) || e.Reason != NotPDF || !strings.Contains(err.Error(), "90000000")):
				t.Errorf("%s, then a subsection at object 90000000: %v", name, err)
			}
		}
	}
}
