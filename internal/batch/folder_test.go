package batch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// signInto plays what a run does for name up to a point: write the partial output (step 1), note
// it pending (2), commit its record (3), rename it into place (4).
func signInto(t *testing.T, f *Folder, name, id string, registry map[string]bool, steps int) Entry {
	t.Helper()
	content := "signed " + name
	e := Entry{File: name, ID: id, Size: int64(len(content))}
	if err := os.WriteFile(f.PartialPath(name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if steps >= 2 {
		if err := f.Pending([]Entry{e}); err != nil {
			t.Fatal(err)
		}
	}
	if steps >= 3 {
		registry[id] = true
	}
	if steps >= 4 {
		if err := f.Finish(e); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// TestFolderResume: after a run stopped at each step of a file, the next run finishes, skips or
// signs again each file so that it ends signed and recorded once.
func TestFolderResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "已签")
	f, err := OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	registry := map[string]bool{}
	signInto(t, f, "一步.pdf", "id1", registry, 1) // killed before the journal
	signInto(t, f, "两步.pdf", "id2", registry, 2) // killed before the record
	signInto(t, f, "三步.pdf", "id3", registry, 3) // killed before the rename
	signInto(t, f, "完成.ofd", "id4", registry, 4) // done
	signInto(t, f, "未记.pdf", "id5", registry, 4) // done, the done line lost (below)
	// Leftover of sign.SignPDFFile killed mid-write.
	leftover := filepath.Join(dir, "..半.pdf"+partialSuffix+".123456.tmp")
	if err := os.WriteFile(leftover, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFolder(dir); err == nil || !strings.Contains(err.Error(), "another batch") {
		t.Errorf("a second run into the folder: %v", err)
	}
	f.Close()
	// The run was killed just after writing the pending line of 未记.pdf and before its done
	// line; and in the middle of a journal line.
	journal := filepath.Join(dir, JournalName)
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	data = []byte(strings.Join(lines[:len(lines)-2], "") + `{"file":"torn`)
	if err := os.WriteFile(journal, data, 0o644); err != nil {
		t.Fatal(err)
	}

	f, err = OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover kept: %v", err)
	}
	lookups := 0
	recorded := func(id string) (bool, error) { lookups++; return registry[id], nil }
	for _, tc := range []struct {
		name string
		want Status
	}{
		{"一步.pdf", ToSign}, {"两步.pdf", ToSign}, {"三步.pdf", Completed}, {"完成.ofd", AlreadyDone}, {"未记.pdf", AlreadyDone}, {"新.pdf", ToSign},
	} {
		got, err := f.Prepare(tc.name, recorded)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.name, got, err, tc.want)
		}
		_, errPartial := os.Stat(f.PartialPath(tc.name))
		_, errFinal := os.Stat(f.Path(tc.name))
		switch tc.want {
		case ToSign:
			if !errors.Is(errPartial, os.ErrNotExist) || !errors.Is(errFinal, os.ErrNotExist) {
				t.Errorf("%s to sign: partial %v, final %v", tc.name, errPartial, errFinal)
			}
		default:
			if !errors.Is(errPartial, os.ErrNotExist) || errFinal != nil {
				t.Errorf("%s done: partial %v, final %v", tc.name, errPartial, errFinal)
			}
		}
	}
	if f.entries["未记.pdf"].State != StateDone || f.entries["三步.pdf"].State != StateDone {
		t.Errorf("journal: %+v", f.entries)
	}

	// Files no batch wrote, or that changed since, are never overwritten.
	if err := os.WriteFile(f.Path("别人的.pdf"), []byte("someone else's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Prepare("别人的.pdf", recorded); !errors.Is(err, ErrConflict) {
		t.Errorf("a file no batch wrote: %v", err)
	}
	if err := os.WriteFile(f.Path("完成.ofd"), []byte("replaced by hand"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Prepare("完成.ofd", recorded); !errors.Is(err, ErrConflict) {
		t.Errorf("a changed output: %v", err)
	}
	for _, bad := range []string{"../x.pdf", ".hidden.pdf", "", "a/b.pdf"} {
		if _, err := f.Prepare(bad, recorded); err == nil {
			t.Errorf("Prepare(%q): no error", bad)
		}
	}
}

// TestFolderPendingNotRecorded: an output in place whose record the store does not hold (a run
// with another --data) is a conflict, not done.
func TestFolderPendingNotRecorded(t *testing.T) {
	f, err := OpenFolder(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := signInto(t, f, "a.pdf", "id", map[string]bool{}, 2)
	if err := os.Rename(f.PartialPath(e.File), f.Path(e.File)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Prepare("a.pdf", func(string) (bool, error) { return false, nil }); !errors.Is(err, ErrConflict) {
		t.Errorf("unrecorded output: %v", err)
	}
	lookupErr := errors.New("store closed")
	if _, err := f.Prepare("a.pdf", func(string) (bool, error) { return false, lookupErr }); !errors.Is(err, lookupErr) {
		t.Errorf("lookup error: %v", err)
	}
}

// TestFolderDamagedJournal: a damaged line in the middle of the journal stops the run, which
// cannot tell what was recorded; so does a journal over the size limit.
func TestFolderDamagedJournal(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":   `{"file":"a.pdf","state":"done","id":"x","size":1}` + "\nnot json\n",
		"bad state": `{"file":"a.pdf","state":"maybe","id":"x","size":1}` + "\n",
		"escape":    `{"file":"../a.pdf","state":"done","id":"x","size":1}` + "\n",
		"long line": `{"file":"` + strings.Repeat("长", maxJournalLine) + `"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, JournalName), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if f, err := OpenFolder(dir); err == nil {
				f.Close()
				t.Fatal("opened")
			}
		})
	}
	dir := t.TempDir()
	j, err := os.Create(filepath.Join(dir, JournalName))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Truncate(maxJournalSize + 1); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if f, err := OpenFolder(dir); err == nil || !strings.Contains(err.Error(), "larger than") {
		if f != nil {
			f.Close()
		}
		t.Errorf("oversized journal: %v", err)
	}
}
