package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// JournalName is the journal's file name in an output folder.
const JournalName = ".eseal-batch.jsonl"

// Hostile-input limits of a journal: it is read whole at the start of a run.
const (
	maxJournalSize = 256 << 20
	maxJournalLine = 64 << 10
)

// Entry is what the journal says of one output file.
type Entry struct {
	File  string `json:"file"`  // the output's name in the folder (the input's name)
	State string `json:"state"` // StatePending or StateDone
	ID    string `json:"id"`    // the issuance record's ID (the hex digest the signature binds)
	Size  int64  `json:"size"`  // the signed output's length
}

// Journal states: pending is written (and synced) before the record is committed; done after
// the output is renamed into place.
const (
	StatePending = "pending"
	StateDone    = "done"
)

// Status is what a run does with a file of the batch, as Folder.Prepare decides it.
type Status int

const (
	// ToSign: sign the file (nothing of it is in the folder, or what is there was never
	// recorded and has been removed).
	ToSign Status = iota + 1
	// AlreadyDone: its signed output is in the folder, written and recorded by an earlier run.
	AlreadyDone
	// Completed: an earlier run signed and recorded it but was stopped before renaming the
	// output into place; Prepare has now done so.
	Completed
)

// ErrConflict is (wrapped in) Prepare's error for an output that is in the folder but was not
// written by a batch into it, or was changed since: it is never overwritten.
var ErrConflict = errors.New("batch: the output folder holds another file of that name")

// Folder is the output folder of a batch: the signed files under their inputs' names, their
// partial forms (a hidden name, renamed into place once recorded), and the journal. One run at
// a time holds it (an exclusive lock on the journal).
type Folder struct {
	dir     string
	mu      sync.Mutex
	journal *os.File
	entries map[string]Entry
}

// OpenFolder opens (creating it when missing) the output folder dir and its journal, and locks
// it: a second run into the same folder is refused. Leftovers of a run that was killed while
// writing an output are removed.
func OpenFolder(dir string) (*Folder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, JournalName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another batch is signing into %s", dir)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	entries, err := readJournal(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w (remove it only if %s holds no output of a batch)", path, err, dir)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, err
	}
	// What sign.SignPDFFile and SignOFDFile leave when killed mid-write: the temporary form of
	// a partial output.
	if leftovers, err := filepath.Glob(filepath.Join(dir, "..*"+partialSuffix+".*.tmp")); err == nil {
		for _, p := range leftovers {
			os.Remove(p)
		}
	}
	return &Folder{dir: dir, journal: f, entries: entries}, nil
}

// readJournal reads the entries (the last line of each file wins). A last line without its
// newline was being written when a run stopped: it was never synced, so no record depends on
// it, and it is cut off.
func readJournal(f *os.File) (map[string]Entry, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxJournalSize {
		return nil, fmt.Errorf("journal larger than %d bytes", maxJournalSize)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i+1 != len(data) {
		data = data[:i+1]
		if err := f.Truncate(int64(i + 1)); err != nil {
			return nil, err
		}
	}
	entries := map[string]Entry{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxJournalLine)
	for n := 1; sc.Scan(); n++ {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || !validName(e.File) || (e.State != StatePending && e.State != StateDone) {
			return nil, fmt.Errorf("journal line %d is damaged", n)
		}
		entries[e.File] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return entries, nil
}

// validName: a plain file name, which cannot leave the folder.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00") && !strings.HasPrefix(name, ".")
}

// Close unlocks the folder.
func (f *Folder) Close() error { return f.journal.Close() }

// Dir is the folder's path.
func (f *Folder) Dir() string { return f.dir }

// Path is where the signed output of name goes.
func (f *Folder) Path(name string) string { return filepath.Join(f.dir, name) }

const partialSuffix = ".eseal-partial"

// PartialPath is where the output of name is written before its record is committed: a
// hidden name, so a half-done output never looks done.
func (f *Folder) PartialPath(name string) string { return filepath.Join(f.dir, "."+name+partialSuffix) }

// Prepare decides what this run does with the file name, from the folder and the journal;
// recorded tells whether the store holds the issuance record id. It finishes the output of a
// file an earlier run recorded but did not rename into place (Completed), and removes the
// partial output of a file that was never recorded. An output in the folder that no batch
// wrote, or that changed since, is an ErrConflict.
func (f *Folder) Prepare(name string, recorded func(id string) (bool, error)) (Status, error) {
	if !validName(name) {
		return 0, fmt.Errorf("batch: %q cannot be an output name", name)
	}
	f.mu.Lock()
	e, known := f.entries[name]
	f.mu.Unlock()
	final, partial := f.Path(name), f.PartialPath(name)
	isRecorded := func() (bool, error) {
		if !known || e.ID == "" {
			return false, nil
		}
		return recorded(e.ID)
	}
	fi, err := os.Lstat(final)
	switch {
	case err == nil:
		if !known {
			return 0, fmt.Errorf("%w: %s is in the output folder but no batch wrote it there", ErrConflict, name)
		}
		if !fi.Mode().IsRegular() || fi.Size() != e.Size {
			return 0, fmt.Errorf("%w: %s in the output folder changed since a batch wrote it", ErrConflict, name)
		}
		if e.State == StatePending {
			ok, err := isRecorded()
			if err != nil {
				return 0, err
			}
			if !ok {
				return 0, fmt.Errorf("%w: %s is in the output folder but its signature %s is not recorded in this store", ErrConflict, name, e.ID)
			}
			if err := f.Done(e); err != nil {
				return 0, err
			}
		}
		return AlreadyDone, nil
	case !errors.Is(err, fs.ErrNotExist):
		return 0, err
	}
	pi, err := os.Lstat(partial)
	if errors.Is(err, fs.ErrNotExist) {
		return ToSign, nil
	}
	if err != nil {
		return 0, err
	}
	if known && e.State == StatePending && pi.Mode().IsRegular() && pi.Size() == e.Size {
		ok, err := isRecorded()
		if err != nil {
			return 0, err
		}
		if ok {
			if err := f.Finish(e); err != nil {
				return 0, err
			}
			return Completed, nil
		}
	}
	// Signed but never recorded: it never counted, and is signed again.
	if err := os.Remove(partial); err != nil {
		return 0, err
	}
	return ToSign, nil
}

// Pending writes pending entries to the journal and syncs it and the folder (so the partial
// outputs they name are there after a crash). Call it before committing their records.
func (f *Folder) Pending(entries []Entry) error {
	var buf bytes.Buffer
	for _, e := range entries {
		if !validName(e.File) {
			return fmt.Errorf("batch: %q cannot be an output name", e.File)
		}
		e.State = StatePending
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(append(line, '\n'))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.journal.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the batch journal: %w", err)
	}
	if err := f.journal.Sync(); err != nil {
		return fmt.Errorf("writing the batch journal: %w", err)
	}
	if err := syncDir(f.dir); err != nil {
		return err
	}
	for _, e := range entries {
		e.State = StatePending
		f.entries[e.File] = e
	}
	return nil
}

// Finish renames the output of a recorded entry into place and notes it done. The done line is
// not synced: after a crash, the pending entry, the output and its record tell the same.
func (f *Folder) Finish(e Entry) error {
	if err := os.Rename(f.PartialPath(e.File), f.Path(e.File)); err != nil {
		return fmt.Errorf("signed and recorded, but not renamed into place (the next run will): %w", err)
	}
	return f.Done(e)
}

// Done notes an output in place.
func (f *Folder) Done(e Entry) error {
	e.State = StateDone
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.journal.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing the batch journal: %w", err)
	}
	f.entries[e.File] = e
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
