package migrate

import (
	"fmt"
	"io"
)

// Level says what became of a part of the input.
type Level string

const (
	// Migrated: the part now comes from kvenv.
	Migrated Level = "migrated"
	// LeftAsIs: migrate could not translate the part; it is in the output
	// exactly as it was in the input.
	LeftAsIs Level = "left as is"
	// Note: something the user must know or do (identity, dropped objects).
	Note Level = "note"
)

// Finding is one line of the report. It never holds a secret value: the
// input holds none (only names of Key Vault objects and Secret keys).
type Finding struct {
	Level   Level
	Object  string // "Deployment sampleapp/sampleapp"
	Message string
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.Level, f.Object, f.Message) }

// WriteReport writes one line per finding, in input order.
func WriteReport(w io.Writer, findings []Finding) error {
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	return nil
}
